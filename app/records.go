package app

import (
	"fmt"
	"path/filepath"

	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// openRecords opens what demo and serve share: the connection store in dataDir and the
// email-to-account mapping (SC_USER_MAP_FILE first, then the local part for allowedDomains;
// none means any domain, which only the demo asks for).
func openRecords(userMapFile, dataDir string, allowedDomains []string) (*store.Store, *identity.Mapper, error) {
	st, err := store.Open(filepath.Join(dataDir, "connections.json"))
	if err != nil {
		return nil, nil, err
	}
	userMap := map[string]string{}
	if userMapFile != "" {
		if userMap, err = identity.LoadUserMap(userMapFile); err != nil {
			return nil, nil, fmt.Errorf("SC_USER_MAP_FILE: %w", err)
		}
	}
	ids, err := identity.NewMapper(allowedDomains, userMap)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: %w", err)
	}
	return st, ids, nil
}

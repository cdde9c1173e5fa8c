package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/service-connector/service-connector/services"
)

// formatVersion is the version of the file format this build reads and writes.
const formatVersion = 1

// document is the file: a version and top-level lists. Later versions add lists (the
// revocation queue) next to connections.
type document struct {
	Version     int                   `json:"version"`
	Connections []services.Connection `json:"connections"`
}

// encode renders conns as the file's content: indented for the operator who reads it, in a
// stable order so that two writes of the same state are the same bytes.
func encode(conns map[key]services.Connection) ([]byte, error) {
	data, err := json.MarshalIndent(document{Version: formatVersion, Connections: sorted(conns)}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode connections: %w", err)
	}
	return append(data, '\n'), nil
}

// decode parses the file's content. It refuses, rather than guesses at, anything this build
// did not write: another version, unknown fields, invalid or duplicate connections.
func decode(data []byte) (map[key]services.Connection, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a valid store file: %w", err)
	}
	if top == nil {
		return nil, errors.New("not a valid store file: not a JSON object")
	}
	if err := checkVersion(top["version"]); err != nil {
		return nil, err
	}
	for _, field := range slices.Sorted(maps.Keys(top)) {
		if !knownField(field) {
			return nil, fmt.Errorf("unknown top-level field %q: the file was probably written by a newer Service Connector", field)
		}
	}
	var list []services.Connection
	if raw, ok := top["connections"]; ok {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("read connections: %w", err)
		}
	}
	conns := make(map[key]services.Connection, len(list))
	for i, c := range list {
		c, err := normalize(c)
		if err != nil {
			// %v, not %w: a damaged file is our fault, not an invalid request of the
			// person whose change happened to read it.
			return nil, fmt.Errorf("connection %d: %v", i, err)
		}
		k := key{c.UserEmail, c.ServiceID}
		if _, dup := conns[k]; dup {
			return nil, fmt.Errorf("connection %d: a second connection of %s to %s", i, c.UserEmail, c.ServiceID)
		}
		conns[k] = c
	}
	return conns, nil
}

// knownField reports whether field is a top-level field of formatVersion. Any other one
// means a newer build wrote the file, and rewriting it without that field would drop data.
func knownField(field string) bool {
	switch field {
	case "version", "connections":
		return true
	}
	return false
}

// checkVersion accepts only formatVersion.
func checkVersion(raw json.RawMessage) error {
	if raw == nil {
		return errors.New("not a valid store file: no version")
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("not a valid store file: version: %w", err)
	}
	if v != formatVersion {
		return fmt.Errorf("store file format version %d is not supported: this build reads version %d", v, formatVersion)
	}
	return nil
}

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

// formatVersion is the version of the file format this build writes. Version 1 held only
// connections; version 2 adds the revocation queue, pending deliveries and intents. This
// build reads both.
const formatVersion = 2

// document is the file: a version and top-level lists.
type document struct {
	Version     int                   `json:"version"`
	Connections []services.Connection `json:"connections"`
	Revocations []Revocation          `json:"revocation_queue"`
	Deliveries  []PendingDelivery     `json:"pending_deliveries"`
	Intents     []Intent              `json:"exchange_intents"`
}

// encode renders recs as the file's content: indented for the operator who reads it, in a
// stable order so that two writes of the same state are the same bytes.
func encode(recs records) ([]byte, error) {
	st := recs.state()
	data, err := json.MarshalIndent(document{
		Version: formatVersion, Connections: st.Connections, Revocations: st.Revocations,
		Deliveries: st.Deliveries, Intents: st.Intents,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the store: %w", err)
	}
	return append(data, '\n'), nil
}

// decode parses the file's content. It refuses, rather than guesses at, anything this build
// did not write: another version, unknown fields, invalid or duplicate entries.
func decode(data []byte) (records, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return records{}, fmt.Errorf("not a valid store file: %w", err)
	}
	if top == nil {
		return records{}, errors.New("not a valid store file: not a JSON object")
	}
	version, err := checkVersion(top["version"])
	if err != nil {
		return records{}, err
	}
	for _, field := range slices.Sorted(maps.Keys(top)) {
		if !knownField(version, field) {
			return records{}, fmt.Errorf("unknown top-level field %q: the file was probably written by a newer Service Connector", field)
		}
	}
	var doc document
	for _, f := range []struct {
		name string
		into any
	}{
		{"connections", &doc.Connections},
		{"revocation_queue", &doc.Revocations},
		{"pending_deliveries", &doc.Deliveries},
		{"exchange_intents", &doc.Intents},
	} {
		if err := decodeList(top[f.name], f.into); err != nil {
			return records{}, fmt.Errorf("read %s: %w", f.name, err)
		}
	}
	return fromDocument(doc)
}

// fromDocument checks every entry and indexes them.
func fromDocument(doc document) (records, error) {
	recs := newRecords()
	for i, c := range doc.Connections {
		c, err := NormalizeConnection(c)
		if err != nil {
			// %v, not %w: a damaged file is our fault, not an invalid request of the
			// person whose change happened to read it.
			return records{}, fmt.Errorf("connection %d: %v", i, err)
		}
		k := key{c.UserEmail, c.ServiceID}
		if _, dup := recs.conns[k]; dup {
			return records{}, fmt.Errorf("connection %d: a second connection of %s to %s", i, c.UserEmail, c.ServiceID)
		}
		recs.conns[k] = c
	}
	for i, r := range doc.Revocations {
		r, err := NormalizeRevocation(r)
		if err != nil {
			return records{}, fmt.Errorf("revocation %d: %v", i, err)
		}
		k := revocationKey{r.ServiceID, r.TokenID}
		if _, dup := recs.revocations[k]; dup {
			return records{}, fmt.Errorf("revocation %d: token %s of %s is queued twice", i, r.TokenID, r.ServiceID)
		}
		recs.revocations[k] = r
	}
	for i, d := range doc.Deliveries {
		d, err := NormalizeDelivery(d)
		if err != nil {
			return records{}, fmt.Errorf("pending delivery %d: %v", i, err)
		}
		if _, dup := recs.deliveries[d.UserEmail]; dup {
			return records{}, fmt.Errorf("pending delivery %d: %s is pending twice", i, d.UserEmail)
		}
		recs.deliveries[d.UserEmail] = d
	}
	for i, in := range doc.Intents {
		in, err := NormalizeIntent(in)
		if err != nil {
			return records{}, fmt.Errorf("exchange intent %d: %v", i, err)
		}
		if _, dup := recs.intents[in.RequestID]; dup {
			return records{}, fmt.Errorf("exchange intent %d: request id %s is recorded twice", i, in.RequestID)
		}
		recs.intents[in.RequestID] = in
	}
	return recs, nil
}

// decodeList decodes one top-level list strictly; an absent or null list is empty.
func decodeList(raw json.RawMessage, into any) error {
	if raw == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// knownField reports whether field is a top-level field of the file's version. Any other
// one means a newer build wrote the file, and rewriting it without that field would drop
// data.
func knownField(version int, field string) bool {
	switch field {
	case "version", "connections":
		return true
	case "revocation_queue", "pending_deliveries", "exchange_intents":
		return version >= 2
	}
	return false
}

// checkVersion accepts the versions this build reads, and returns the file's.
func checkVersion(raw json.RawMessage) (int, error) {
	if raw == nil {
		return 0, errors.New("not a valid store file: no version")
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("not a valid store file: version: %w", err)
	}
	if v < 1 || v > formatVersion {
		return 0, fmt.Errorf("store file format version %d is not supported: this build reads versions 1 to %d", v, formatVersion)
	}
	return v, nil
}

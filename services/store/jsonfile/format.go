// Package jsonfile reads connections.json, the file in which earlier versions of Service
// Connector kept their state, so that the database store can move it in once. It only
// decodes: the format is frozen, and nothing writes it any more.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// FileName is the file's name in the data dir.
const FileName = "connections.json"

// newestVersion is the newest version of the format. Version 1 held only connections;
// version 2 added the revocation queue, pending deliveries and exchange intents.
const newestVersion = 2

// Document is the file's content.
type Document struct {
	Version     int                   `json:"version"`
	Connections []services.Connection `json:"connections"`
	Revocations []Revocation          `json:"revocation_queue"`
	Deliveries  []PendingDelivery     `json:"pending_deliveries"`
	Intents     []Intent              `json:"exchange_intents"`
}

// Revocation is an entry of the file's revocation queue.
type Revocation struct {
	ServiceID string    `json:"service_id"`
	TokenID   string    `json:"token_id"`
	UserEmail string    `json:"user_email"`
	Reason    string    `json:"reason"`
	RevokeURL string    `json:"revoke_url,omitempty"`
	QueuedAt  time.Time `json:"queued_at"`
	Retry
	NeedsAttention bool `json:"needs_attention,omitempty"`
}

// PendingDelivery is an entry of the file's pending deliveries.
type PendingDelivery struct {
	UserEmail string    `json:"user_email"`
	Username  string    `json:"username"`
	Since     time.Time `json:"since"`
	Retry
}

// Intent is an entry of the file's exchange intents.
type Intent struct {
	RequestID string    `json:"request_id"`
	UserEmail string    `json:"user_email"`
	Username  string    `json:"username"`
	ServiceID string    `json:"service_id"`
	TTLDays   int       `json:"ttl_days"`
	StartedAt time.Time `json:"started_at"`
	TokenID   string    `json:"token_id,omitempty"`
	Replaces  string    `json:"replaces_token_id,omitempty"`
	Cancelled bool      `json:"cancelled,omitempty"`
	Retry
}

// Retry is the retry bookkeeping the file's three queues share.
type Retry struct {
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
}

// Decode parses the file's content. It refuses, rather than guesses at, anything the file
// store did not write: another version, unknown fields, an entry of one person, token or
// request twice. Whether each entry is valid is the importer's to check.
func Decode(data []byte) (Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Document{}, fmt.Errorf("not a valid store file: %w", err)
	}
	if top == nil {
		return Document{}, errors.New("not a valid store file: not a JSON object")
	}
	doc := Document{}
	var err error
	if doc.Version, err = checkVersion(top["version"]); err != nil {
		return Document{}, err
	}
	for _, field := range slices.Sorted(maps.Keys(top)) {
		if !knownField(doc.Version, field) {
			return Document{}, fmt.Errorf("unknown top-level field %q: the file was probably written by a newer Service Connector", field)
		}
	}
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
			return Document{}, fmt.Errorf("read %s: %w", f.name, err)
		}
	}
	return doc, checkUnique(doc)
}

// checkUnique refuses a document with two entries for one key: the file store never wrote
// one, so the file was edited, and which entry holds is a guess.
func checkUnique(doc Document) error {
	if err := unique(doc.Connections, func(c services.Connection) string {
		return strings.ToLower(c.UserEmail) + " " + c.ServiceID
	}, "connection %d: a second connection of %s"); err != nil {
		return err
	}
	if err := unique(doc.Revocations, func(r Revocation) string { return r.ServiceID + " " + r.TokenID },
		"revocation %d: token %s is queued twice"); err != nil {
		return err
	}
	if err := unique(doc.Deliveries, func(d PendingDelivery) string { return strings.ToLower(d.UserEmail) },
		"pending delivery %d: %s is pending twice"); err != nil {
		return err
	}
	return unique(doc.Intents, func(in Intent) string { return in.RequestID },
		"exchange intent %d: request id %s is recorded twice")
}

// unique returns an error, formatted with the index and key of the first repeated key.
func unique[T any](list []T, key func(T) string, format string) error {
	seen := map[string]bool{}
	for i, e := range list {
		k := key(e)
		if seen[k] {
			return fmt.Errorf(format, i, k)
		}
		seen[k] = true
	}
	return nil
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
// one means a newer build wrote the file, and importing it without that field would drop
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
	if v < 1 || v > newestVersion {
		return 0, fmt.Errorf("store file format version %d is not supported: this build reads versions 1 to %d", v, newestVersion)
	}
	return v, nil
}

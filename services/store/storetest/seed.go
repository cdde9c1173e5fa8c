package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/jsonfile"
)

// DemoServices are the demo's three services, which every person People makes is connected to.
var DemoServices = []string{"crm", "invoicing", "purchase_orders"}

// Person is the email and account of the i-th person People makes.
func Person(i int) services.User {
	name := fmt.Sprintf("person%06d", i)
	return services.User{Email: name + "@example.com", Username: name}
}

// People returns the connections of n people (Person(0) to Person(n-1)), each connected to
// every one of DemoServices with a key that expires in a year: a company of n people for the
// benchmarks.
func People(n int) []services.Connection {
	conns := make([]services.Connection, 0, n*len(DemoServices))
	now := time.Now().UTC().Truncate(time.Second)
	for i := range n {
		p := Person(i)
		for _, svc := range DemoServices {
			conns = append(conns, services.Connection{
				UserEmail: p.Email, Username: p.Username, ServiceID: svc,
				TokenID: fmt.Sprintf("tok_%s_%d", svc, i), APIKey: services.Secret(fmt.Sprintf("pk_live_%s_%d_0123456789abcdef", svc, i)),
				ConnectedAt: now, ExpiresAt: now.Add(365 * 24 * time.Hour),
				RevokeURL: "http://127.0.0.1:8081/" + svc + "/api/internal/token-revoke",
			})
		}
	}
	return conns
}

// WriteFileStore writes st as dir/connections.json, as the file store of the previous version
// wrote it (format 2, mode 0600): the next Open of a store in dir moves it in, in one
// transaction. It is the quickest way to a large database, and the way specs of the import
// make their file.
func WriteFileStore(dir string, st store.State) error {
	doc := jsonfile.Document{Version: 2, Connections: st.Connections}
	for _, r := range st.Revocations {
		doc.Revocations = append(doc.Revocations, jsonfile.Revocation{ServiceID: r.ServiceID, TokenID: r.TokenID, UserEmail: r.UserEmail,
			Reason: r.Reason, RevokeURL: r.RevokeURL, QueuedAt: r.QueuedAt, Retry: jsonfile.Retry(r.Retry), NeedsAttention: r.NeedsAttention})
	}
	for _, d := range st.Deliveries {
		doc.Deliveries = append(doc.Deliveries, jsonfile.PendingDelivery{UserEmail: d.UserEmail, Username: d.Username, Since: d.Since, Retry: jsonfile.Retry(d.Retry)})
	}
	for _, in := range st.Intents {
		doc.Intents = append(doc.Intents, jsonfile.Intent{RequestID: in.RequestID, UserEmail: in.UserEmail, Username: in.Username, ServiceID: in.ServiceID,
			TTLDays: in.TTLDays, StartedAt: in.StartedAt, TokenID: in.TokenID, Replaces: in.Replaces, Cancelled: in.Cancelled, Retry: jsonfile.Retry(in.Retry)})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, jsonfile.FileName), data, 0o600)
}

// Seed records conns and queues revocations in one transaction of the store cfg names,
// then closes it: the quickest way to a large database for a spec that starts the portal
// on it (100,000 connections take a second or two).
func Seed(ctx context.Context, cfg store.Config, conns []services.Connection, revocations []store.Revocation) error {
	s, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Update(ctx, func(tx *store.Tx) error {
		for _, c := range conns {
			if err := tx.Put(c); err != nil {
				return err
			}
		}
		for _, r := range revocations {
			if err := tx.PutRevocation(r); err != nil {
				return err
			}
		}
		return nil
	})
}

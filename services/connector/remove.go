package connector

import (
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// RemoveService takes the connections to a service that left the registry out of service:
// in one store change each is forgotten, its key queued for revocation at the revoke URL the
// registry named (which the queue keeps, as the registry no longer has it), and its person's
// delivery marked pending; then the keys are revoked and the files delivered without them,
// by the worker for whatever fails now. It returns how many connections it removed.
func (c *Connector) RemoveService(svc services.Service) (int, error) {
	var queued []store.Revocation
	err := c.store.Update(func(tx *store.Tx) error {
		queued = queued[:0]
		for _, conn := range tx.State().Connections {
			if conn.ServiceID != svc.ID {
				continue
			}
			tx.Delete(conn.UserEmail, conn.ServiceID)
			r := c.newRevocation(svc.ID, conn.TokenID, conn.UserEmail, "its service left the registry")
			r.RevokeURL = svc.TokenRevokeURL
			queued = append(queued, r)
			if err := tx.PutRevocation(r); err != nil {
				return err
			}
			if err := c.markPendingNow(tx, services.User{Email: conn.UserEmail, Username: conn.Username}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, services.Wrap(services.EInternal, err, "remove the connections to %s", svc.ID)
	}
	c.opts.Log.Info("service left the registry; its connections are being revoked", "service", svc.ID, "connections", len(queued))
	c.revokeNow(queued...)
	c.work.notify()
	return len(queued), nil
}

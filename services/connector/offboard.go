package connector

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// OffboardResult says what offboarding a person did.
type OffboardResult struct {
	Connections int  // connections forgotten
	Revoked     int  // keys the services confirmed revoked now
	Queued      int  // keys left in the revocation queue for the worker
	Delivered   bool // the person's files were cleared now; otherwise the delivery is pending
}

// OffboardPlan is what offboarding a person will do, for an admin to see before confirming.
type OffboardPlan struct {
	Email    string
	Username string // the server account whose keys and skills are cleared
	// Keys are the person's keys: each is forgotten and revoked.
	Keys []OffboardKey
	// Exchanges counts the person's key exchanges in flight: each is cancelled, and the key
	// it brings is revoked instead of recorded.
	Exchanges int
}

// OffboardKey is one key offboarding revokes. It never holds the key itself.
type OffboardKey struct {
	ServiceID   string
	ServiceName string // the service id when the registry no longer has it
	TokenID     string
	Status      Status
	ExpiresAt   time.Time // zero when the key does not expire
	// RevokeNow is set when the portal asks the key's service to revoke it at once (should
	// the service not confirm, the key waits in the revocation queue). Otherwise the key goes
	// straight to the queue, and Why says why the portal cannot revoke it now.
	RevokeNow bool
	Why       string
}

// OffboardPlan says what Offboard would do for email, changing nothing. It refuses what
// Offboard refuses: a malformed email (EInvalid), a person whom no record names and whose
// email maps to no account of theirs (ENotFound), and an account that holds another
// person's keys (EConflict).
func (c *Connector) OffboardPlan(ctx context.Context, email string) (OffboardPlan, error) {
	user, err := c.offboardee(ctx, email)
	if err != nil {
		return OffboardPlan{}, err
	}
	plan := OffboardPlan{Email: user.Email, Username: user.Username, Keys: []OffboardKey{}}
	conns, err := c.store.Records(ctx, user.Email)
	if err != nil {
		return OffboardPlan{}, services.Wrap(services.EInternal, err, "read the connections to offboard")
	}
	intents, err := c.store.IntentsOf(ctx, user.Email)
	if err != nil {
		return OffboardPlan{}, services.Wrap(services.EInternal, err, "read the exchanges to cancel")
	}
	for _, conn := range conns {
		k := OffboardKey{ServiceID: conn.ServiceID, ServiceName: c.serviceName(conn.ServiceID), TokenID: conn.TokenID,
			Status: c.statusOf(conn), ExpiresAt: conn.ExpiresAt, RevokeNow: true}
		if _, _, err := c.revoker(conn.ServiceID, conn.RevokeURL); err != nil {
			k.RevokeNow, k.Why = false, services.ErrorMessage(err)
		}
		plan.Keys = append(plan.Keys, k)
	}
	for _, in := range intents {
		if in.TokenID == "" && !in.Cancelled {
			plan.Exchanges++
		}
	}
	return plan, nil
}

// Offboard is for the day someone leaves: every connection of the person is forgotten, every
// key queued for revocation, their delivery marked pending and every session of theirs
// ended (a browser signed in as them is signed out), in one store change; then their files
// are cleared and the keys revoked. What fails now is finished by the worker of
// whichever process runs it (the portal's, for the offboard command).
//
// The files cleared are those of the account the person's records name, or, for a person
// without any, of the account their email maps to; either way the account must be theirs
// alone (see OffboardPlan for what is refused), so offboarding one person never clears
// another's files.
func (c *Connector) Offboard(ctx context.Context, email string) (OffboardResult, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	user, err := c.offboardee(ctx, email)
	if err != nil {
		return OffboardResult{}, err
	}
	unlock, err := c.store.Lock(ctx, user.Username)
	if err != nil {
		return OffboardResult{}, err
	}
	defer unlock()

	queued, err := c.commitRevocations(ctx, func(tx *store.Tx, queue queueFunc) error {
		return c.forgetPerson(ctx, tx, user, queue)
	})
	if services.ErrorCode(err) == services.EConflict {
		return OffboardResult{}, err
	}
	if err != nil {
		return OffboardResult{}, services.Wrap(services.EInternal, err, "offboard")
	}
	res := OffboardResult{Connections: len(queued)}
	if err := c.deliverOrMark(ctx, user); err != nil {
		c.opts.Log.Error("delivery after offboarding failed; the worker will retry", "user", user.Email, "err", err)
	} else {
		res.Delivered = true
	}
	res.Revoked = c.revokeNow(ctx, queued...)
	res.Queued = len(queued) - res.Revoked
	c.opts.Log.Info("offboarded", "user", user.Email, "account", user.Username, "connections", res.Connections, "revoked", res.Revoked, "queued", res.Queued, "delivered", res.Delivered)
	return res, nil
}

// forgetPerson is offboarding's store change: the person's connections are forgotten and
// their keys queued, their exchanges in flight cancelled, their sessions ended, and their
// delivery marked due. The account is checked again inside the change, so a person who came
// to share it meanwhile (from another process) stops it.
func (c *Connector) forgetPerson(ctx context.Context, tx *store.Tx, user services.User, queue queueFunc) error {
	holders, err := tx.AccountHolders(user.Username)
	if err != nil {
		return err
	}
	for _, holder := range holders {
		if holder != user.Email {
			return accountTaken(user, holder)
		}
	}
	conns, err := tx.Records(user.Email)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if _, err := tx.Delete(user.Email, conn.ServiceID); err != nil {
			return err
		}
		tx.Audit(c.event(ctx, EventOffboard, string(OutcomeOK), "offboarded: the key is forgotten and queued for revocation", user, conn.ServiceID, conn.TokenID))
		r := c.newRevocation(conn.ServiceID, conn.TokenID, user.Email, "offboarded")
		r.RevokeURL = conn.RevokeURL
		if err := queue(r); err != nil {
			return err
		}
	}
	// An exchange in flight for the person (in the portal, another process) brings a key
	// after this: it is revoked instead of recorded.
	intents, err := tx.IntentsOf(user.Email)
	if err != nil {
		return err
	}
	cancelled := 0
	for _, in := range intents {
		if in.TokenID == "" && !in.Cancelled {
			in.Cancelled = true
			cancelled++
			if err := tx.PutIntent(in); err != nil {
				return err
			}
		}
	}
	sessions, err := tx.DeleteSessionsOf(user.Email)
	if err != nil {
		return err
	}
	tx.Audit(c.event(ctx, EventOffboard, string(OutcomeOK), fmt.Sprintf("offboarded: %s forgotten, %s in flight cancelled, %s ended, files to be cleared",
		plural(len(conns), "connection"), plural(cancelled, "exchange"), plural(sessions, "session")), user, "", ""))
	return c.markPendingNow(tx, user)
}

// offboardee is the person to offboard and the server account offboarding clears: the one
// the person's records (connections, pending delivery, exchanges in flight) name, or, for a
// person without records, the existing account their email maps to. An account that holds
// another person's keys is refused.
func (c *Connector) offboardee(ctx context.Context, email string) (services.User, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return services.User{}, services.Errorf(services.EInvalid, "Offboarding needs the person's email: %s.", services.ErrorMessage(err))
	}
	user := services.User{Email: email}
	username, recorded, err := c.recordedAccount(ctx, email)
	if err != nil {
		return services.User{}, err
	}
	if !recorded {
		if username, err = c.mappedAccount(email); err != nil {
			return services.User{}, err
		}
	}
	user.Username = username
	other, err := c.otherHolder(ctx, user)
	if err != nil {
		return services.User{}, err
	}
	if other != "" {
		return services.User{}, accountTaken(user, other)
	}
	return user, nil
}

// recordedAccount is the account the person's records name, if any does.
func (c *Connector) recordedAccount(ctx context.Context, email string) (string, bool, error) {
	conns, err := c.store.Records(ctx, email)
	if err != nil || len(conns) > 0 {
		return firstUsername(conns), len(conns) > 0, recordsError(err)
	}
	d, ok, err := c.store.Delivery(ctx, email)
	if err != nil || ok {
		return d.Username, ok, recordsError(err)
	}
	ins, err := c.store.IntentsOf(ctx, email)
	if err != nil || len(ins) == 0 {
		return "", false, recordsError(err)
	}
	return ins[0].Username, true, nil
}

// firstUsername is the account the first connection names, or "".
func firstUsername(conns []services.Connection) string {
	if len(conns) == 0 {
		return ""
	}
	return conns[0].Username
}

// recordsError wraps a failed read of a person's records, or is nil.
func recordsError(err error) error {
	if err == nil {
		return nil
	}
	return services.Wrap(services.EInternal, err, "read the person's records")
}

// mappedAccount is the existing account the person's email maps to.
func (c *Connector) mappedAccount(email string) (string, error) {
	unknown := services.Errorf(services.ENotFound, "%s has no connections, and no server account of theirs is known, so nothing was changed.", email)
	if c.opts.Accounts == nil {
		return "", unknown
	}
	username, err := c.opts.Accounts.Username(email)
	if err != nil || !services.ValidUsername(username) || !c.opts.AccountExists(username) {
		return "", unknown
	}
	return username, nil
}

// accountTaken is the refusal to offboard user into an account that holds other's keys.
func accountTaken(user services.User, other string) error {
	return services.Errorf(services.EConflict,
		"The server account %q holds the keys of another person, %s: offboarding %s there would clear that person's files, so nothing was changed.",
		user.Username, other, user.Email)
}

// OffboardSummary says in one line what offboarding email did, for the admin page and the
// offboard command.
func OffboardSummary(email string, res OffboardResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Offboarded %s: %s removed", email, plural(res.Connections, "connection"))
	if res.Revoked > 0 || res.Queued == 0 {
		fmt.Fprintf(&b, ", %s revoked", plural(res.Revoked, "key"))
	}
	if res.Queued > 0 {
		fmt.Fprintf(&b, ", %s queued for revocation", plural(res.Queued, "key"))
	}
	if res.Delivered {
		b.WriteString(", files cleared.")
	} else {
		b.WriteString("; clearing their files failed and is retried.")
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

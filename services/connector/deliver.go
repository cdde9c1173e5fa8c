package connector

import (
	"context"
	"slices"
	"strings"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// bundle builds the person's whole desired state from the store: one env entry and one skill
// per live connection to a service in the registry. Expired keys are left out, so they
// leave the delivered files too.
func (c *Connector) bundle(email string) delivery.Bundle {
	return c.bundleOf(c.store.ForUser(email))
}

// bundleOf builds the desired state of a person from their connections.
func (c *Connector) bundleOf(conns []services.Connection) delivery.Bundle {
	now := c.opts.Now()
	b := delivery.Bundle{Env: []delivery.EnvEntry{}, Skills: []delivery.Skill{}}
	skills := map[string]bool{} // services may share a skill file; deliver it once
	for _, conn := range conns {
		svc, ok := c.registry.Service(conn.ServiceID)
		if !ok || conn.Expired(now) {
			continue
		}
		b.Env = append(b.Env, delivery.EnvEntry{
			Name: svc.EnvVarName, Value: conn.APIKey, Service: svc.ID, ExpiresAt: conn.ExpiresAt,
		})
		if skills[svc.SkillFile] {
			continue
		}
		skills[svc.SkillFile] = true
		content, ok := c.registry.Skill(svc.SkillFile)
		if !ok {
			c.opts.Log.Error("skill file missing from the registry", "service", svc.ID, "skill", svc.SkillFile)
			continue
		}
		b.Skills = append(b.Skills, delivery.Skill{Name: svc.SkillFile, Content: content})
	}
	return b
}

// deliver hands the person's whole desired state to the installer, and returns that state.
func (c *Connector) deliver(ctx context.Context, user services.User) (delivery.Bundle, error) {
	b := c.bundle(strings.ToLower(user.Email))
	return b, c.install(ctx, user, b)
}

// sameBundle reports whether two desired states are the same.
func sameBundle(a, b delivery.Bundle) bool {
	return slices.Equal(a.Env, b.Env) && slices.Equal(a.Skills, b.Skills)
}

// install hands a desired state to the installer, with errors a person can read.
func (c *Connector) install(ctx context.Context, user services.User, b delivery.Bundle) error {
	err := c.installer.Install(ctx, user.Username, b)
	switch {
	case err == nil:
		return nil
	case services.ErrorCode(err) == services.EInvalid:
		// Something in the home is in the way (a symlink, a folder where a file belongs):
		// the person can fix it, so they are told what it is.
		return services.Wrap(services.EUnavailable, err,
			"We could not deliver the change to your server account %q: %s", user.Username, services.ErrorMessage(err))
	default:
		return services.Wrap(services.EUnavailable, err,
			"We could not deliver the change to your server account %q.", user.Username)
	}
}

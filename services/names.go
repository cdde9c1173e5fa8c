package services

import "regexp"

var (
	usernamePattern  = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	serviceIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	envNamePattern   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	skillNamePattern = regexp.MustCompile(`^sc_[a-z0-9_]+\.md$`)
	apiKeyPattern    = regexp.MustCompile(`^[A-Za-z0-9._~+/=:-]+$`)
)

// ValidUsername reports whether name is a Linux user name the portal may deliver to:
// at most 32 characters of [a-z0-9_-], not starting with a digit or a dash.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// ValidServiceID reports whether id is a registry service id (^[a-z][a-z0-9_]*$).
func ValidServiceID(id string) bool { return serviceIDPattern.MatchString(id) }

// ValidEnvName reports whether name is an environment variable name the portal writes.
func ValidEnvName(name string) bool { return envNamePattern.MatchString(name) }

// ValidSkillName reports whether name is a skill file name the portal manages (sc_*.md).
func ValidSkillName(name string) bool { return skillNamePattern.MatchString(name) }

// ValidAPIKey reports whether key has the protocol's key charset and length (8–4096), so it
// can be written unquoted into an env file and never breaks a line.
func ValidAPIKey(key string) bool {
	return len(key) >= 8 && len(key) <= 4096 && apiKeyPattern.MatchString(key)
}

package registry_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// po and crm are valid one-line entries; broken registries are written as variations of them.
const (
	po  = `{"id":"po","name":"PO","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`
	crm = `{"id":"crm","name":"CRM","description":"d","token_exchange_url":"https://crm.test/x","token_revoke_url":"https://crm.test/r","env_var_name":"CRM_KEY","skill_file":"sc_crm.md"}`
)

// reg lays out a registry with "services" opening on line 1 and entry i on line i+2, so
// an entry's problems are on a predictable line.
func reg(entries ...string) string {
	return "{\"services\": [\n" + strings.Join(entries, ",\n") + "\n]}\n"
}

// bareForm turns a registry laid out by reg into the same entries as a bare JSON list, each
// on the same line and at the same columns; ok is false for a document reg did not lay out.
func bareForm(doc string) (string, bool) {
	const head, tail = "{\"services\": [\n", "\n]}\n"
	if !strings.HasPrefix(doc, head) || !strings.HasSuffix(doc, tail) {
		return "", false
	}
	return "[\n" + strings.TrimSuffix(strings.TrimPrefix(doc, head), tail) + "\n]\n", true
}

// writeFile creates dir/name with contents and returns its path.
func writeFile(dir, name, contents string) string {
	GinkgoHelper()
	path := filepath.Join(dir, name)
	Expect(os.WriteFile(path, []byte(contents), 0o644)).To(Succeed())
	return path
}

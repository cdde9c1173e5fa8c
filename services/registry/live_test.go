package registry_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/services/registry"
)

var _ = Describe("The live registry", func() {
	var (
		dir, skills, file string
		logs              *gbytes.Buffer
		live              *registry.Live
	)

	// edit replaces the registry file, as an editor that writes a new file and renames it.
	edit := func(contents string) {
		GinkgoHelper()
		tmp := writeFile(dir, ".edit", contents)
		Expect(os.Rename(tmp, file)).To(Succeed())
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		skills = filepath.Join(dir, "skills")
		Expect(os.Mkdir(skills, 0o755)).To(Succeed())
		writeFile(skills, "sc_po.md", "# PO\n")
		writeFile(skills, "sc_crm.md", "# CRM\n")
		file = writeFile(dir, "service_connectors.json", reg(po, crm))
		logs = gbytes.NewBuffer()
		var err error
		live, err = registry.OpenLive(file, skills, slog.New(slog.NewTextHandler(logs, nil)), nil)
		Expect(err).NotTo(HaveOccurred())
	})

	It("refuses to start from an invalid registry: there is no last good one yet", func() {
		bad := writeFile(dir, "bad.json", reg(strings.Replace(po, `"id":"po"`, `"id":"PO!"`, 1)))
		_, err := registry.OpenLive(bad, skills, slog.New(slog.DiscardHandler), nil)
		Expect(err).To(MatchError(ContainSubstring("bad.json:2:")))
	})

	It("does nothing while the files are unchanged", func() {
		change, err := live.Reload()
		Expect(err).NotTo(HaveOccurred())
		Expect(change).To(BeNil())
		Expect(live.Status().Problems).To(BeEmpty())
	})

	It("picks up a valid edit, and reports the services it removed", func() {
		edit(reg(strings.Replace(po, `"name":"PO"`, `"name":"Purchase Orders"`, 1)))

		change, err := live.Reload()

		Expect(err).NotTo(HaveOccurred())
		Expect(change.Removed).To(ConsistOf(HaveField("ID", "crm")))
		svc, ok := live.Service("po")
		Expect(ok).To(BeTrue())
		Expect(svc.Name).To(Equal("Purchase Orders"))
		_, ok = live.Service("crm")
		Expect(ok).To(BeFalse())
		Expect(live.Status().Services).To(Equal(1))
		Expect(logs).To(gbytes.Say(`registry reloaded.*removed=crm`))
	})

	It("picks up an edited skill file", func() {
		writeFile(skills, "sc_po.md", "# PO, now with examples\n")
		future := time.Now().Add(time.Minute)
		Expect(os.Chtimes(filepath.Join(skills, "sc_po.md"), future, future)).To(Succeed())

		_, err := live.Reload()

		Expect(err).NotTo(HaveOccurred())
		content, ok := live.Skill("sc_po.md")
		Expect(ok).To(BeTrue())
		Expect(content).To(Equal("# PO, now with examples\n"))
	})

	It("keeps the last good registry in service after an invalid edit, shows its problems until fixed, and logs them once", func() {
		edit(reg(po, strings.Replace(crm, `"env_var_name":"CRM_KEY"`, `"env_var_name":"PO_KEY"`, 1), `{"id": "x"}`))

		change, err := live.Reload()

		Expect(err).To(HaveOccurred())
		Expect(change).To(BeNil())
		Expect(live.Services()).To(HaveLen(2), "the last good registry stays in service")
		_, ok := live.Service("crm")
		Expect(ok).To(BeTrue())
		problems := live.Status().Problems
		Expect(problems).NotTo(BeEmpty())
		Expect(problems[0]).To(And(HavePrefix(file+":3:"), ContainSubstring("PO_KEY")))
		Expect(problems).To(ContainElement(HavePrefix(file + ":4:")))
		Expect(logs).To(gbytes.Say(`registry edit refused; the last good registry stays in service`))

		_, err = live.Reload()
		Expect(err).NotTo(HaveOccurred(), "the same broken files are not reloaded again")
		Expect(strings.Count(string(logs.Contents()), "registry edit refused")).To(Equal(1))

		edit(reg(po, crm))
		change, err = live.Reload()
		Expect(err).NotTo(HaveOccurred())
		Expect(change).NotTo(BeNil())
		Expect(live.Status().Problems).To(BeEmpty())
	})

	It("picks up an edit into the bare list form, and locates a broken one as in the object form", func() {
		bare, _ := bareForm(reg(po, crm))
		edit(bare)

		change, err := live.Reload()

		Expect(err).NotTo(HaveOccurred())
		Expect(change.Removed).To(BeEmpty())
		Expect(live.Services()).To(HaveExactElements(HaveField("ID", "po"), HaveField("ID", "crm")))

		broken, _ := bareForm(reg(po, strings.Replace(crm, `"env_var_name":"CRM_KEY"`, `"env_var_name":"PO_KEY"`, 1)))
		edit(broken)
		_, err = live.Reload()

		Expect(err).To(HaveOccurred())
		Expect(live.Services()).To(HaveLen(2))
		Expect(live.Status().Problems).To(Equal([]string{
			file + `:3:141: services[1].env_var_name: "PO_KEY" is already used by services[0]`,
		}))
	})

	It("keeps serving when the file disappears, and says so", func() {
		Expect(os.Remove(file)).To(Succeed())

		_, err := live.Reload()

		Expect(err).To(HaveOccurred())
		Expect(live.Services()).To(HaveLen(2))
		Expect(live.Status().Problems).To(ConsistOf(ContainSubstring("no such file")))
	})

	It("watches the files until its context ends, handing each change over", func() {
		ctx, cancel := context.WithCancel(context.Background())
		changes := make(chan *registry.Change, 4)
		done := make(chan struct{})
		go func() {
			defer close(done)
			live.Watch(ctx, 10*time.Millisecond, func(c *registry.Change) { changes <- c })
		}()

		edit(reg(po))

		Eventually(changes).WithTimeout(5 * time.Second).Should(Receive(HaveField("Removed", ConsistOf(HaveField("ID", "crm")))))
		cancel()
		Eventually(done).WithTimeout(5 * time.Second).Should(BeClosed())
	})
})

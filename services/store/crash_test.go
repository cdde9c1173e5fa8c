package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// crashWriterEnv, set to a store path, turns the test binary into the writer the crash
// spec kills (see TestMain).
const crashWriterEnv = "SC_STORE_SPEC_CRASH_WRITER"

// writerStarted is what the writer prints once its first change is on disk.
const writerStarted = "writing"

// runCrashWriter changes the store at path in a tight loop, with file sizes that vary so a
// torn write would show, until it is killed. It returns an exit code only on a failure.
func runCrashWriter(path string) int {
	s, err := store.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; ; i++ {
		c := connection(fmt.Sprintf("user%d@your-domain.com", i%20), fmt.Sprintf("service_%d", i%5))
		c.TokenID = fmt.Sprintf("tok_%d", i)
		c.APIKey += services.Secret("_" + strings.Repeat("k", i*37%3000))
		if i%4 == 3 {
			_, err = s.Delete(c.UserEmail, c.ServiceID)
		} else {
			err = s.Put(c)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if i == 0 {
			fmt.Println(writerStarted)
		}
	}
}

var _ = Describe("A writer killed with SIGKILL at any moment", func() {
	const kills = 12

	var path, self string

	BeforeEach(func() {
		path = storePath()
		var err error
		self, err = os.Executable()
		Expect(err).NotTo(HaveOccurred())
	})

	It("leaves a file that Open accepts, every time", func() {
		rng := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 0))
		for kill := range kills {
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
			session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session).WithTimeout(10 * time.Second).Should(gbytes.Say(writerStarted))

			time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
			session.Kill()
			Eventually(session).WithTimeout(5*time.Second).Should(gexec.Exit(-1), "the writer stopped before it was killed")
			fmt.Fprintf(GinkgoWriter, "kill %d left %v\n", kill, dirNames(filepath.Dir(path)))

			s, err := store.Open(path)
			Expect(err).NotTo(HaveOccurred(), "after kill %d", kill)
			Expect(s.All()).NotTo(BeEmpty())
		}
		Expect(dirNames(filepath.Dir(path))).To(ConsistOf("connections.json", "connections.json.lock"),
			"Open removes the temp files of killed writers")
	})
})

package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/keyring"
	"github.com/service-connector/service-connector/services/store/storetest"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to run CHECKPOINT as an operator would
)

// storeKeyFile writes a new key file (mode 0600) for a spec's portal and returns its path.
func storeKeyFile() string {
	GinkgoHelper()
	path := filepath.Join(GinkgoT().TempDir(), "store.key")
	Expect(os.WriteFile(path, keyring.NewKeyLine(), 0o600)).To(Succeed())
	return path
}

// envNames are the variables of the example services in a delivered .service_env.
var envNames = map[string]string{"purchase_orders": "PO_API_KEY", "invoicing": "INVOICING_API_KEY", "crm": "CRM_API_KEY"}

// keyForms are the ways a key's bytes could sit in a file: as they are, base64 and hex.
func keyForms(key string) []string {
	b := []byte(key)
	return []string{key, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b))}
}

// keysIn returns which of keys appear in data in any of their forms.
func keysIn(data []byte, keys []string) []string {
	var found []string
	for _, key := range keys {
		for _, form := range keyForms(key) {
			if bytes.Contains(data, []byte(form)) {
				found = append(found, fmt.Sprintf("%.6s… as %.10s…", key, form))
			}
		}
	}
	return found
}

// treeBytes reads every regular file under dir.
func treeBytes(dir string) map[string][]byte {
	GinkgoHelper()
	files := map[string][]byte{}
	Expect(filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = data
		return err
	})).To(Succeed())
	return files
}

var _ = Describe("Keys encrypted at rest", func() {
	DescribeTable("no key anyone was given is in the database, its backup or the logs",
		func(backend storetest.Backend) {
			d := startDemo(backendEnv(backend))
			people := []string{"alice", "bob", "carol", "dave"}
			var keys []string
			mint := func(who, serviceID string) {
				GinkgoHelper()
				b := d.newBrowser()
				b.signIn(who + "@example.com")
				Expect(b.api("connect", serviceID).status).To(Equal(http.StatusOK))
				key := d.envKey(who, envNames[serviceID])
				Expect(key).NotTo(BeEmpty())
				keys = append(keys, key)
			}
			for _, who := range people {
				for _, svc := range []string{"purchase_orders", "invoicing", "crm"} {
					mint(who, svc)
				}
			}
			By("disconnecting and connecting again, so old records leave their traces too")
			b := d.newBrowser()
			b.signIn("bob@example.com")
			Expect(b.api("disconnect", "crm").status).To(Equal(http.StatusOK))
			mint("bob", "crm")
			Expect(keys).To(HaveLen(13))

			By("checking the search finds a key where one is: the delivered file")
			home, _, _ := d.home("alice", ".service_env")
			Expect(keysIn([]byte(home), keys[:3])).To(HaveLen(3))
			By("checking the database opens every key it holds")
			for _, who := range people {
				recorded := d.recorded(who + "@example.com")
				Expect(recorded).To(HaveLen(3))
				for _, c := range recorded {
					Expect(keys).To(ContainElement(c.APIKey.Reveal()))
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			files := map[string][]byte{}
			if backend == storetest.SQLite {
				backup := filepath.Join(GinkgoT().TempDir(), "backup.db")
				execSQL("sqlite", filepath.Join(d.dataDir, store.FileName), "VACUUM INTO '"+backup+"'")
				for _, name := range []string{store.FileName, store.FileName + "-wal", backup} {
					path := name
					if !filepath.IsAbs(path) {
						path = filepath.Join(d.dataDir, name)
					}
					data, err := os.ReadFile(path)
					Expect(err).NotTo(HaveOccurred())
					Expect(data).NotTo(BeEmpty(), path)
					files[path] = data
				}
			} else {
				dump, err := storetest.PGDump(ctx, d.databaseURL)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(dump)).To(ContainSubstring("COPY public.connections"))
				Expect(string(dump)).To(ContainSubstring("alice@example.com"))
				files["pg_dump"] = dump
				execSQL("pgx", d.databaseURL, "CHECKPOINT")
				for path, data := range treeBytes(databases.ClusterDir()) {
					files[path] = data
				}
			}
			for path, data := range files {
				Expect(keysIn(data, keys)).To(BeEmpty(), "a key in %s", path)
			}
			Expect(keysIn(d.stdout.Contents(), keys)).To(BeEmpty(), "a key in the demo's output")
			Expect(keysIn(d.stderr.Contents(), keys)).To(BeEmpty(), "a key in the demo's log")
			AddReportEntry("keys at rest", fmt.Sprintf("%s: %d minted keys, 7 forms each, searched in %d files (%d bytes) and the logs: none found",
				backend, len(keys), len(files), func() (n int) {
					for _, data := range files {
						n += len(data)
					}
					return n
				}()))
		},
		Entry("on SQLite: the database file, its write-ahead log and a VACUUM INTO backup", storetest.SQLite),
		Entry("on PostgreSQL: a pg_dump and every file of the cluster", storetest.PostgreSQL),
	)

	It("makes the demo's key in its data dir on first start, mode 600, and keeps using it", func() {
		d := startDemo(nil)
		path := filepath.Join(d.dataDir, "store.key")
		info, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		first, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
		key := d.envKey("alice", "CRM_API_KEY")
		d.stop()

		again := startDemo(map[string]string{"SC_DATA_DIR": d.dataDir})
		Expect(os.ReadFile(path)).To(Equal(first))
		recorded := again.recorded("alice@example.com")
		Expect(recorded).To(HaveLen(1))
		Expect(recorded[0].APIKey.Reveal()).To(Equal(key))
		Expect(string(d.stderr.Contents())).NotTo(ContainSubstring(strings.TrimSpace(string(first[bytes.LastIndexByte(first[:len(first)-1], '\n')+1:]))))
	})

	When("the key the records were sealed under is not given", func() {
		var d *demo

		BeforeEach(func() {
			d = startDemo(nil)
			alice := d.newBrowser()
			alice.signIn("alice@example.com")
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			d.stop()
		})

		It("refuses to start the demo with another key file, naming SC_STORE_KEY_FILE and the key ids", func() {
			other := storeKeyFile()
			code, _, stderr := run(map[string]string{"SC_DATA_DIR": d.dataDir, "SC_STORE_KEY_FILE": other,
				"SC_ADDR": "127.0.0.1:0", "SC_DEMO_SERVICES_ADDR": "127.0.0.1:0"}, "demo")

			Expect(code).To(Equal(1))
			Expect(stderr).To(ContainSubstring("SC_STORE_KEY_FILE does not hold (1 under key id " + d.storeKeys().SealingID()))
			expectNoKeyMaterial(stderr, d.dataDir, other)
		})

		It("refuses to act on the database without any key file, naming SC_STORE_KEY_FILE", func() {
			Expect(os.Rename(filepath.Join(d.dataDir, "store.key"), filepath.Join(d.dataDir, "store.key.away"))).To(Succeed())

			code, _, stderr := run(map[string]string{"SC_DATA_DIR": d.dataDir}, "offboard", "--demo", "alice@example.com")

			Expect(code).To(Equal(1))
			Expect(stderr).To(ContainSubstring("the database holds API keys encrypted at rest (1 under key id "))
			Expect(stderr).To(ContainSubstring("and no key to open them: set SC_STORE_KEY_FILE"))
			Expect(os.Rename(filepath.Join(d.dataDir, "store.key.away"), filepath.Join(d.dataDir, "store.key"))).To(Succeed())
			Expect(d.recorded("alice@example.com")).To(HaveLen(1), "nothing changed")
		})
	})

	DescribeTable("a key file that is not safe or not a key file stops the demo, naming the file, never a key",
		func(content string, perm os.FileMode, message string) {
			path := filepath.Join(GinkgoT().TempDir(), "store.key")
			Expect(os.WriteFile(path, []byte(content), perm)).To(Succeed())
			Expect(os.Chmod(path, perm)).To(Succeed())

			code, _, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "SC_STORE_KEY_FILE": path}, "demo")

			Expect(code).To(Equal(2))
			Expect(stderr).To(Equal("service-connector demo: SC_STORE_KEY_FILE: " + path + message + "\n"))
			for _, line := range strings.Split(content, "\n") {
				if line != "" {
					Expect(stderr).NotTo(ContainSubstring(line))
				}
			}
		},
		Entry("open to others", string(keyring.NewKeyLine()), os.FileMode(0o644),
			" is open to group or others (mode 0644): it holds the keys of every API key at rest; chmod 600 it"),
		Entry("a line that is not a key", string(keyring.NewKeyLine())+"not-a-key-at-all\n", os.FileMode(0o600),
			": line 2 is not a key: each key is the base64 of 32 random bytes on a line of its own, as `head -c 32 /dev/urandom | base64` prints it"),
	)

	Describe("service-connector rekey", func() {
		It("re-seals every key under the new first key while the portal runs, so the old key can leave the file", func() {
			d := startDemo(nil)
			keyPath := filepath.Join(d.dataDir, "store.key")
			oldID := d.storeKeys().SealingID()
			for _, who := range []string{"alice", "bob", "carol"} {
				b := d.newBrowser()
				b.signIn(who + "@example.com")
				Expect(b.api("connect", "crm").status).To(Equal(http.StatusOK))
				Expect(b.api("connect", "invoicing").status).To(Equal(http.StatusOK))
			}
			d.stop()

			By("putting a new key first, keeping the old one below it, and restarting the portal")
			old, err := os.ReadFile(keyPath)
			Expect(err).NotTo(HaveOccurred())
			newLine := keyring.NewKeyLine()
			Expect(os.WriteFile(keyPath, append(append([]byte{}, newLine...), old...), 0o600)).To(Succeed())
			d = startDemo(map[string]string{"SC_DATA_DIR": d.dataDir})
			newID := d.storeKeys().SealingID()
			Expect(newID).NotTo(Equal(oldID))

			By("running rekey while people connect")
			var wg sync.WaitGroup
			wg.Go(func() {
				defer GinkgoRecover()
				dave := d.newBrowser()
				dave.signIn("dave@example.com")
				for _, svc := range []string{"crm", "invoicing", "purchase_orders"} {
					Expect(dave.api("connect", svc).status).To(Equal(http.StatusOK))
				}
			})
			code, stdout, stderr := run(map[string]string{"SC_DATA_DIR": d.dataDir}, "rekey", "--demo")
			wg.Wait()
			Expect(code).To(Equal(0), stderr)
			Expect(stdout).To(Equal(fmt.Sprintf("service-connector rekey: 6 API keys re-sealed under key %s (6 from key %s); "+
				"every API key is sealed under it: keys below the first may now leave SC_STORE_KEY_FILE\n", newID, oldID)))
			again, stdout2, _ := run(map[string]string{"SC_DATA_DIR": d.dataDir}, "rekey", "--demo")
			Expect(again).To(Equal(0))
			Expect(stdout2).To(HavePrefix("service-connector rekey: 0 API keys re-sealed under key " + newID))

			By("dropping the old key and restarting: every key still opens and works")
			keys := map[string]string{}
			for _, who := range []string{"alice", "bob", "carol"} {
				keys[who] = d.envKey(who, "CRM_API_KEY")
			}
			d.stop()
			Expect(os.WriteFile(keyPath, newLine, 0o600)).To(Succeed())
			d = startDemo(map[string]string{"SC_DATA_DIR": d.dataDir})
			for who, key := range keys {
				recorded := d.recorded(who + "@example.com")
				Expect(recorded).To(HaveLen(2))
				Expect(recorded[0].APIKey.Reveal()).To(Equal(key))
				Expect(d.whoami("crm", key)).To(Equal(http.StatusOK))
			}
			Expect(d.recorded("dave@example.com")).To(HaveLen(3))
		})

		It("takes the key systemd passes as the credential store-key (LoadCredential=) when SC_STORE_KEY_FILE is unset", func() {
			creds := GinkgoT().TempDir()
			path := filepath.Join(creds, "store-key")
			Expect(os.WriteFile(path, keyring.NewKeyLine(), 0o400)).To(Succeed())
			keys, err := keyring.LoadFile(path)
			Expect(err).NotTo(HaveOccurred())

			code, stdout, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "CREDENTIALS_DIRECTORY": creds}, "rekey")

			Expect(code).To(Equal(0), stderr)
			Expect(stdout).To(HavePrefix("service-connector rekey: 0 API keys re-sealed under key " + keys.SealingID() + "; every API key is sealed under it"))
		})

		It("takes a credential of mode 0440 (systemd 254 and later) where the unit names it, and only there", func() {
			creds := GinkgoT().TempDir()
			path := filepath.Join(creds, "store-key")
			Expect(os.WriteFile(path, keyring.NewKeyLine(), 0o440)).To(Succeed())
			elsewhere := filepath.Join(GinkgoT().TempDir(), "store.key")
			Expect(os.WriteFile(elsewhere, keyring.NewKeyLine(), 0o440)).To(Succeed())

			code, _, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "CREDENTIALS_DIRECTORY": creds, "SC_STORE_KEY_FILE": path}, "rekey")
			Expect(code).To(Equal(0), stderr)

			code, _, stderr = run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "CREDENTIALS_DIRECTORY": creds, "SC_STORE_KEY_FILE": elsewhere}, "rekey")
			Expect(code).To(Equal(2))
			Expect(stderr).To(ContainSubstring("open to group or others (mode 0440)"))

			trick := creds + "-evil"
			Expect(os.Mkdir(trick, 0o700)).To(Succeed())
			DeferCleanup(os.RemoveAll, trick)
			Expect(os.WriteFile(filepath.Join(trick, "store-key"), keyring.NewKeyLine(), 0o440)).To(Succeed())
			code, _, stderr = run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "CREDENTIALS_DIRECTORY": creds, "SC_STORE_KEY_FILE": filepath.Join(trick, "store-key")}, "rekey")
			Expect(code).To(Equal(2), "a directory whose name only starts like the credentials directory is not it")
			Expect(stderr).To(ContainSubstring("(mode 0440)"))
		})

		It("needs a key file, and says so", func() {
			code, _, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir()}, "rekey")
			Expect(code).To(Equal(2))
			Expect(stderr).To(HavePrefix("service-connector rekey: SC_STORE_KEY_FILE is required"))
		})
	})
})

// execSQL runs a statement on a database, as an operator's shell would.
func execSQL(driver, dsn, statement string) {
	GinkgoHelper()
	db, err := sql.Open(driver, dsn)
	Expect(err).NotTo(HaveOccurred())
	defer db.Close()
	_, err = db.ExecContext(context.Background(), statement)
	Expect(err).NotTo(HaveOccurred())
}

// expectNoKeyMaterial asserts that text holds no line of the key files given, nor of the
// demo's store.key in dataDir.
func expectNoKeyMaterial(text, dataDir string, keyFiles ...string) {
	GinkgoHelper()
	for _, path := range append(keyFiles, filepath.Join(dataDir, "store.key")) {
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		for _, line := range strings.Split(string(data), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				Expect(text).NotTo(ContainSubstring(line))
				Expect(text).NotTo(ContainSubstring(line[:12]))
			}
		}
	}
}

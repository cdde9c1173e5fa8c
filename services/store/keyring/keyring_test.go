package keyring_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/keyring"
)

// keyLine is a fixed key as a key file line: the base64 of 32 bytes of b.
func keyLine(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, keyring.KeySize))
}

// writeKeyFile writes content to a new key file of mode perm and returns its path.
func writeKeyFile(content string, perm os.FileMode) string {
	GinkgoHelper()
	path := filepath.Join(GinkgoT().TempDir(), "store.key")
	Expect(os.WriteFile(path, []byte(content), perm)).To(Succeed())
	Expect(os.Chmod(path, perm)).To(Succeed())
	return path
}

var _ = Describe("Keyring", func() {
	aad := keyring.AdditionalData("connections", "ann@example.com", "crm", "tok_1")

	Describe("Seal and Open", func() {
		It("opens what it sealed, under the first key, and never seals the same way twice", func() {
			k, err := keyring.Parse([]byte(keyLine(1) + "\n" + keyLine(2) + "\n"))
			Expect(err).NotTo(HaveOccurred())
			sealed, id := k.Seal([]byte("pk_live_secret_value"), aad)
			again, _ := k.Seal([]byte("pk_live_secret_value"), aad)

			Expect(id).To(Equal(k.SealingID()))
			Expect(id).To(Equal(k.IDs()[0]))
			Expect(sealed).NotTo(ContainSubstring("pk_live_secret_value"))
			Expect(sealed).NotTo(Equal(again), "a fresh nonce for every seal")
			Expect(k.Open(sealed, id, aad)).To(Equal([]byte("pk_live_secret_value")))
		})

		It("opens with any key of the file, and seals with the first", func() {
			old, err := keyring.Parse([]byte(keyLine(1)))
			Expect(err).NotTo(HaveOccurred())
			sealed, oldID := old.Seal([]byte("pk_live_old"), aad)

			rotated, err := keyring.Parse([]byte(keyLine(2) + "\n" + keyLine(1) + "\n"))
			Expect(err).NotTo(HaveOccurred())
			Expect(rotated.Open(sealed, oldID, aad)).To(Equal([]byte("pk_live_old")))
			_, newID := rotated.Seal([]byte("pk_live_new"), aad)
			Expect(newID).NotTo(Equal(oldID))
			Expect(rotated.IDs()).To(Equal([]string{newID, oldID}))
		})

		It("refuses a key id it does not hold", func() {
			a, _ := keyring.Parse([]byte(keyLine(1)))
			b, _ := keyring.Parse([]byte(keyLine(2)))
			sealed, id := a.Seal([]byte("pk_live_secret_value"), aad)

			Expect(b.Has(id)).To(BeFalse())
			_, err := b.Open(sealed, id, aad)
			Expect(err).To(MatchError(keyring.ErrUnknownKey))
		})

		DescribeTable("never returns what does not open",
			func(change func(sealed, id string) (string, string, []byte)) {
				k, _ := keyring.Parse([]byte(keyLine(1)))
				sealed, id := k.Seal([]byte("pk_live_secret_value"), aad)
				sealed, id, other := change(sealed, id)

				plain, err := k.Open(sealed, id, other)
				Expect(err).To(MatchError(keyring.ErrNotAuthentic))
				Expect(plain).To(BeNil())
				Expect(err.Error()).NotTo(ContainSubstring(sealed))
			},
			Entry("moved to another record", func(s, id string) (string, string, []byte) {
				return s, id, keyring.AdditionalData("connections", "bob@example.com", "crm", "tok_1")
			}),
			Entry("a byte of the ciphertext flipped", func(s, id string) (string, string, []byte) {
				raw, _ := base64.StdEncoding.DecodeString(s)
				raw[len(raw)-1] ^= 1
				return base64.StdEncoding.EncodeToString(raw), id, aad
			}),
			Entry("cut short", func(s, id string) (string, string, []byte) { return s[:8], id, aad }),
			Entry("not base64", func(s, id string) (string, string, []byte) { return "!" + s, id, aad }),
		)

		It("gives fields that differ only in where they are cut different identities", func() {
			Expect(keyring.AdditionalData("a", "bc")).NotTo(Equal(keyring.AdditionalData("ab", "c")))
		})
	})

	Describe("a key file", func() {
		It("takes one key per line, with comments and blank lines, and derives each key's id from the key", func() {
			path := writeKeyFile("# rotated 2026-11\n\n  "+keyLine(2)+"  \n"+keyLine(1)+"\r\n", 0o600)

			k, err := keyring.LoadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(k.IDs()).To(Equal([]string{keyring.ID(bytes.Repeat([]byte{2}, 32)), keyring.ID(bytes.Repeat([]byte{1}, 32))}))
			Expect(k.SealingID()).To(MatchRegexp(`^[0-9a-f]{16}$`))
		})

		It("is read when only its owner may read it (mode 0400 as systemd's credentials are)", func() {
			_, err := keyring.LoadFile(writeKeyFile(keyLine(1), 0o400))
			Expect(err).NotTo(HaveOccurred())
		})

		DescribeTable("is refused, naming the file and the line but never a key",
			func(content string, perm os.FileMode, message string) {
				path := writeKeyFile(content, perm)

				_, err := keyring.LoadFile(path)
				Expect(err).To(MatchError(And(ContainSubstring(path), ContainSubstring(message))))
				for _, line := range strings.Split(content, "\n") {
					if len(line) > 6 {
						Expect(err.Error()).NotTo(ContainSubstring(strings.TrimSpace(line)))
					}
				}
				Expect(err.Error()).NotTo(ContainSubstring(keyLine(1)[:12]))
			},
			Entry("readable by its group", keyLine(1), os.FileMode(0o640), "open to group or others (mode 0640)"),
			Entry("readable by others", keyLine(1), os.FileMode(0o604), "open to group or others (mode 0604): it holds the keys of every API key at rest; chmod 600 it"),
			Entry("writable by its group", keyLine(1), os.FileMode(0o620), "(mode 0620)"),
			Entry("empty", "", os.FileMode(0o600), "it holds no key"),
			Entry("comments only", "# nothing yet\n", os.FileMode(0o600), "it holds no key"),
			Entry("not base64", keyLine(1)+"\nthis-is-not-base64-at-all!!\n", os.FileMode(0o600), "line 2 is not a key"),
			Entry("16 bytes, not 32", "# c\n"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)), os.FileMode(0o600), "line 2 is not a key"),
			Entry("a key with an id: prefix", "old:"+keyLine(1), os.FileMode(0o600), "line 1 is not a key"),
			Entry("base64 without its padding", strings.TrimRight(keyLine(1), "="), os.FileMode(0o600), "line 1 is not a key"),
			Entry("the same key twice", keyLine(1)+"\n"+keyLine(2)+"\n"+keyLine(1)+"\n", os.FileMode(0o600), "line 3 repeats the key of line 1"),
		)

		It("is refused when it belongs to another account, which could change the keys", Label("root"), func() {
			path := writeKeyFile(keyLine(1), 0o600)
			Expect(os.Geteuid()).To(BeZero(), "only root can give a file away: run as root, as CI does")
			Expect(os.Chown(path, 65534, 65534)).To(Succeed())

			_, err := keyring.LoadFile(path)
			Expect(err).To(MatchError(ContainSubstring("belongs to uid 65534")))
		})

		It("is refused when it is missing or not a file", func() {
			dir := GinkgoT().TempDir()
			_, err := keyring.LoadFile(filepath.Join(dir, "missing.key"))
			Expect(err).To(MatchError(ContainSubstring("cannot open " + filepath.Join(dir, "missing.key") + ": no such file")))
			_, err = keyring.LoadFile(dir)
			Expect(err).To(MatchError(ContainSubstring("is not a regular file")))
		})
	})

	Describe("a credential systemd passed (LoadCredential=)", func() {
		It("is read at mode 0440, as systemd 254 and later make it, which a plain key file is not", func() {
			path := writeKeyFile(keyLine(1), 0o440)
			_, err := keyring.LoadCredential(path)
			Expect(err).NotTo(HaveOccurred())
			_, err = keyring.LoadFile(path)
			Expect(err).To(MatchError(ContainSubstring("(mode 0440)")))
		})

		DescribeTable("is refused when others may read it or its group may change it",
			func(perm os.FileMode) {
				path := writeKeyFile(keyLine(1), perm)
				_, err := keyring.LoadCredential(path)
				Expect(err).To(MatchError(ContainSubstring("open to group or others")))
			},
			Entry("readable by others", os.FileMode(0o444)),
			Entry("writable by its group", os.FileMode(0o460)),
		)
	})

	It("refuses a key file that is a FIFO at once, instead of waiting for a writer", func() {
		path := filepath.Join(GinkgoT().TempDir(), "store.key")
		Expect(syscall.Mkfifo(path, 0o600)).To(Succeed())
		done := make(chan error, 1)
		go func() {
			_, err := keyring.LoadFile(path)
			done <- err
		}()
		Eventually(done).WithTimeout(5 * time.Second).Should(Receive(MatchError(ContainSubstring("is not a regular file"))))
	})

	Describe("Create", func() {
		It("writes a new key file of mode 0600 that loads, and leaves an existing one alone", func() {
			path := filepath.Join(GinkgoT().TempDir(), "store.key")
			created, err := keyring.Create(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(created).To(BeTrue())
			info, err := os.Stat(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
			first, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			_, err = keyring.LoadFile(path)
			Expect(err).NotTo(HaveOccurred())

			created, err = keyring.Create(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(created).To(BeFalse())
			Expect(os.ReadFile(path)).To(Equal(first))
			Expect(filepath.Glob(filepath.Join(filepath.Dir(path), ".store-key-*"))).To(BeEmpty())
		})

		It("gives processes creating the file at once one key", func() {
			path := filepath.Join(GinkgoT().TempDir(), "store.key")
			var wg sync.WaitGroup
			created := make(chan bool, 8)
			for range 8 {
				wg.Go(func() {
					defer GinkgoRecover()
					c, err := keyring.Create(path)
					Expect(err).NotTo(HaveOccurred())
					created <- c
				})
			}
			wg.Wait()
			close(created)
			n := 0
			for c := range created {
				if c {
					n++
				}
			}
			Expect(n).To(Equal(1))
			k, err := keyring.LoadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(k.IDs()).To(HaveLen(1))
		})

		It("makes a different key each time", func() {
			Expect(keyring.NewKeyLine()).NotTo(Equal(keyring.NewKeyLine()))
			k, err := keyring.Parse(keyring.NewKeyLine())
			Expect(err).NotTo(HaveOccurred())
			Expect(k.IDs()).To(HaveLen(1))
		})
	})
})

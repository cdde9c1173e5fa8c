package store_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("Store", func() {
	var (
		path string
		s    *store.Store
	)

	BeforeEach(func() {
		path = storePath()
		s = mustOpen(path)
	})

	Describe("Open", func() {
		When("the file does not exist yet", func() {
			It("starts empty and writes no store file", func() {
				Expect(s.All()).To(BeEmpty())
				Expect(path).NotTo(BeAnExistingFile())
			})
		})

		When("the directory does not exist", func() {
			It("fails", func() {
				_, err := store.Open(path + ".missing/connections.json")
				Expect(err).To(MatchError(ContainSubstring("connections.json")))
			})
		})
	})

	Describe("Put and Get", func() {
		It("returns the recorded connection", func() {
			c := connection("john@your-domain.com", "purchase_orders")
			mustPut(s, c)

			got, ok := s.Get("john@your-domain.com", "purchase_orders")
			Expect(ok).To(BeTrue())
			Expect(got).To(Equal(c))
		})

		It("finds nothing for another service or person", func() {
			mustPut(s, connection("john@your-domain.com", "purchase_orders"))

			_, ok := s.Get("john@your-domain.com", "invoicing")
			Expect(ok).To(BeFalse())
			_, ok = s.Get("jane@your-domain.com", "purchase_orders")
			Expect(ok).To(BeFalse())
		})

		It("compares emails case-insensitively and keeps them lower-cased", func() {
			mustPut(s, connection("John.Doe@Your-Domain.COM", "purchase_orders"))

			got, ok := s.Get("JOHN.DOE@your-domain.com", "purchase_orders")
			Expect(ok).To(BeTrue())
			Expect(got.UserEmail).To(Equal("john.doe@your-domain.com"))
		})

		It("replaces the connection of the same person and service", func() {
			mustPut(s, connection("john@your-domain.com", "purchase_orders"))
			newer := connection("JOHN@your-domain.com", "purchase_orders")
			newer.TokenID = "tok_newer"
			mustPut(s, newer)

			Expect(s.All()).To(HaveLen(1))
			got, _ := s.Get("john@your-domain.com", "purchase_orders")
			Expect(got.TokenID).To(Equal("tok_newer"))
		})

		DescribeTable("refuses an invalid connection with EInvalid, naming no key",
			func(change func(*services.Connection)) {
				c := connection("john@your-domain.com", "purchase_orders")
				change(&c)

				err := s.Put(c)
				Expect(err).To(HaveOccurred())
				Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
				expectNoKeyIn(err)
				Expect(s.All()).To(BeEmpty())
				Expect(path).NotTo(BeAnExistingFile())
			},
			Entry("empty email", func(c *services.Connection) { c.UserEmail = "" }),
			Entry("email without @", func(c *services.Connection) { c.UserEmail = "john.your-domain.com" }),
			Entry("email without a local part", func(c *services.Connection) { c.UserEmail = "@your-domain.com" }),
			Entry("email without a domain", func(c *services.Connection) { c.UserEmail = "john@" }),
			Entry("email with a space", func(c *services.Connection) { c.UserEmail = "john doe@your-domain.com" }),
			Entry("empty service id", func(c *services.Connection) { c.ServiceID = "" }),
			Entry("service id out of the registry's alphabet", func(c *services.Connection) { c.ServiceID = "../etc" }),
			Entry("empty token id", func(c *services.Connection) { c.TokenID = "" }),
		)
	})

	Describe("ForUser", func() {
		It("returns that person's connections only, sorted by service id", func() {
			mustPut(s,
				connection("john@your-domain.com", "purchase_orders"),
				connection("jane@your-domain.com", "crm"),
				connection("john@your-domain.com", "crm"),
				connection("john@your-domain.com", "invoicing"),
			)

			var ids []string
			for _, c := range s.ForUser("John@Your-Domain.com") {
				Expect(c.UserEmail).To(Equal("john@your-domain.com"))
				ids = append(ids, c.ServiceID)
			}
			Expect(ids).To(Equal([]string{"crm", "invoicing", "purchase_orders"}))
		})

		It("returns an empty list for a person without connections", func() {
			Expect(s.ForUser("nobody@your-domain.com")).To(BeEmpty())
		})
	})

	Describe("All", func() {
		It("returns every connection, sorted by email, then service id", func() {
			mustPut(s,
				connection("zoe@your-domain.com", "crm"),
				connection("john@your-domain.com", "purchase_orders"),
				connection("adam@your-domain.com", "invoicing"),
				connection("john@your-domain.com", "crm"),
			)

			var keys []string
			for _, c := range s.All() {
				keys = append(keys, c.UserEmail+" "+c.ServiceID)
			}
			Expect(keys).To(Equal([]string{
				"adam@your-domain.com invoicing",
				"john@your-domain.com crm",
				"john@your-domain.com purchase_orders",
				"zoe@your-domain.com crm",
			}))
		})
	})

	Describe("Delete", func() {
		BeforeEach(func() {
			mustPut(s,
				connection("john@your-domain.com", "purchase_orders"),
				connection("john@your-domain.com", "crm"),
			)
		})

		It("removes the connection, matching the email case-insensitively", func() {
			deleted, err := s.Delete("JOHN@your-domain.com", "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(deleted).To(BeTrue())

			_, ok := s.Get("john@your-domain.com", "purchase_orders")
			Expect(ok).To(BeFalse())
			Expect(s.ForUser("john@your-domain.com")).To(HaveLen(1))
			Expect(mustOpen(path).All()).To(Equal(s.All()))
		})

		When("there is no such connection", func() {
			It("reports false and does not write the file", func() {
				before, err := os.Stat(path)
				Expect(err).NotTo(HaveOccurred())

				deleted, err := s.Delete("john@your-domain.com", "invoicing")
				Expect(err).NotTo(HaveOccurred())
				Expect(deleted).To(BeFalse())

				after, err := os.Stat(path)
				Expect(err).NotTo(HaveOccurred())
				Expect(os.SameFile(before, after)).To(BeTrue(), "the file was replaced")
				Expect(after.ModTime()).To(Equal(before.ModTime()))
			})
		})
	})

	Describe("what the reads return", func() {
		BeforeEach(func() {
			mustPut(s, connection("john@your-domain.com", "purchase_orders"))
		})

		It("is a copy that callers may change freely", func() {
			original, _ := s.Get("john@your-domain.com", "purchase_orders")

			got, _ := s.Get("john@your-domain.com", "purchase_orders")
			got.TokenID = "tok_changed"
			all := s.All()
			all[0].TokenID = "tok_changed"
			mine := s.ForUser("john@your-domain.com")
			mine[0].TokenID = "tok_changed"
			_ = append(mine[:0], connection("mallory@your-domain.com", "crm"))

			Expect(s.All()).To(Equal([]services.Connection{original}))
		})
	})
})

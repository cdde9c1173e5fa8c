package identity_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

// expectInvalid asserts that err is a domain EInvalid error whose safe message is msg.
func expectInvalid(err error, msg string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
	Expect(services.ErrorMessage(err)).To(Equal(msg))
}

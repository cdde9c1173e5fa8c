package refservice_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRefservice(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Reference services Suite")
}

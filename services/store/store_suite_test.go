package store_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/storetest"
)

// databases gives each spec a fresh database; its PostgreSQL cluster is this suite's.
var databases = &storetest.Databases{}

var _ = AfterSuite(func() { databases.Stop() })

func TestStore(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Store Suite")
}

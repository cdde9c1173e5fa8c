package sqlstore_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/sqlstore/sqltest"
)

// databases gives each spec a fresh database; its PostgreSQL cluster is this suite's.
var databases = &sqltest.Databases{}

var _ = AfterSuite(func() { databases.Stop() })

func TestSQLStore(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "SQL Store Suite")
}

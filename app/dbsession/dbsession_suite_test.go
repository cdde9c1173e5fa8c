package dbsession_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/storetest"
)

// databases gives each spec a fresh database; its PostgreSQL cluster is this suite's.
var databases = &storetest.Databases{}

var _ = BeforeSuite(func() { gin.SetMode(gin.ReleaseMode) })

var _ = AfterSuite(func() { databases.Stop() })

func TestDBSession(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "DB Session Suite")
}

package app_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/storetest"
)

// databases gives specs fresh databases; its PostgreSQL cluster is this suite's, started by
// the first spec that asks for one.
var databases = &storetest.Databases{}

var _ = AfterSuite(func() { databases.Stop() })

// backendEnv returns the variables that put a demo on backend: SC_DATABASE_URL of a fresh
// PostgreSQL database, or nothing for SQLite in its data dir.
func backendEnv(backend storetest.Backend) map[string]string {
	GinkgoHelper()
	if backend == storetest.PostgreSQL {
		return map[string]string{"SC_DATABASE_URL": databases.URL()}
	}
	return map[string]string{}
}

func TestApp(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	RegisterFailHandler(Fail)
	RunSpecs(t, "App Suite")
}

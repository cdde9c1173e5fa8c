package handlers_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestHandlers(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	RegisterFailHandler(Fail)
	RunSpecs(t, "Handlers Suite")
}

package jsonfile_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestJSONFile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "JSON File Suite")
}

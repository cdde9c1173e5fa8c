package keyring_test

import (
	"testing"

	"github.com/service-connector/service-connector/services/store/keyring"
)

// BenchmarkSealOpen measures what encryption at rest adds to a change and a read of one
// record: sealing a key of 64 characters under the first key, and opening it again.
func BenchmarkSealOpen(b *testing.B) {
	keys, err := keyring.Parse(append(keyring.NewKeyLine(), keyring.NewKeyLine()...))
	if err != nil {
		b.Fatal(err)
	}
	key := []byte("pk_live_0123456789abcdef0123456789abcdef0123456789abcdef01234567")
	aad := keyring.AdditionalData("connections", "person000042@example.com", "purchase_orders", "tok_purchase_orders_42")
	for b.Loop() {
		sealed, id := keys.Seal(key, aad)
		if _, err := keys.Open(sealed, id, aad); err != nil {
			b.Fatal(err)
		}
	}
}

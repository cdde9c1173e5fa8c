package refservice

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/service-connector/service-connector/services"
)

// maxBodyBytes bounds what the protocol endpoints read, as the portal bounds the answers.
const maxBodyBytes = 64 << 10

// decodeBody reads exactly one JSON value of at most maxBodyBytes into dst. Its errors are
// safe to send back: they never quote the body, which may hold a secret by mistake.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	err := dec.Decode(dst)
	if err == nil {
		// Anything after the first value makes the body malformed.
		if err = dec.Decode(&struct{}{}); err == io.EOF {
			return nil
		}
	}
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return services.Wrap(services.EInvalid, err, "The request body is larger than 64 KiB.")
	}
	return services.Wrap(services.EInvalid, err, "The request body is not one JSON object of the expected shape.")
}

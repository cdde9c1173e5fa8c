package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/service-connector/service-connector/services"
)

// DecodeBundle reads one strict JSON bundle of at most MaxBundleSize bytes and validates
// it. Decoding errors are reduced to an offset or a field path, because encoding/json
// quotes pieces of the input in its messages and the input holds keys.
func DecodeBundle(r io.Reader) (Bundle, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return Bundle{}, services.Wrap(services.EInvalid, err, "read delivery bundle")
	}
	if len(raw) > MaxBundleSize {
		return Bundle{}, invalidf("larger than %d bytes", MaxBundleSize)
	}
	if !utf8.Valid(raw) {
		// encoding/json would quietly turn bad bytes into U+FFFD; refuse them instead.
		return Bundle{}, invalidf("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return Bundle{}, services.Wrap(services.EInvalid, safeJSONError(err), "invalid delivery bundle: malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Bundle{}, invalidf("data after the JSON object")
	}
	if err := b.Validate(); err != nil {
		return Bundle{}, err
	}
	return b, nil
}

// safeJSONError keeps where decoding failed and drops what the input said there.
func safeJSONError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("syntax error at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Errorf("wrong type for field %q at byte %d", typeErr.Field, typeErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of input")
	default:
		// Unknown fields and bad timestamps land here; their messages quote the input.
		return errors.New("unknown field or unparseable value")
	}
}

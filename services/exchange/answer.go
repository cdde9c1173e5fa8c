package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// answer is a service's JSON object, field by field, so each field is checked by its exact
// name and type and a failure can name the field without quoting its value.
type answer map[string]json.RawMessage

// errNotObject is the cause for an answer that is not one JSON object. json's own errors
// are not used as causes because they may quote parts of the body.
var errNotObject = errors.New("answer is not a JSON object")

// parseAnswer decodes body as a single JSON object.
func parseAnswer(body []byte) (answer, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errNotObject
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, errNotObject
	}
	return a, nil
}

// str returns the string field name; present is false when it is absent or null.
func (a answer) str(name string) (value string, present bool, err error) {
	raw, ok := a[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", true, fmt.Errorf("field %s is not a string", name)
	}
	return value, true, nil
}

// requireOK checks the protocol's "status": "ok".
func (a answer) requireOK() error {
	status, _, err := a.str("status")
	if err != nil {
		return err
	}
	if status != "ok" {
		return errors.New(`field status is not "ok"`)
	}
	return nil
}

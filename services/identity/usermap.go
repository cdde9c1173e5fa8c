package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/service-connector/service-connector/services"
)

// LoadUserMap reads the user map file at path: a JSON object of email → server user name.
// It is strict because a silently dropped or merged entry would deliver someone's keys to
// the wrong account: anything but string values, addresses that are not valid, invalid
// user names and addresses listed twice (in any letter case) are errors, each reported as
// "PATH:LINE:COL: message". The keys are returned as written; NewMapper normalizes them.
func LoadUserMap(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load user map: %w", err)
	}
	users, err := parseUserMap(path, data)
	if err != nil {
		return nil, fmt.Errorf("load user map: %w", err)
	}
	return users, nil
}

// userMapParser reads a flat JSON object and remembers where each entry starts.
type userMapParser struct {
	path     string
	data     []byte
	dec      *json.Decoder
	problems []error
}

func parseUserMap(path string, data []byte) (map[string]string, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: the file is not valid UTF-8", path)
	}
	p := &userMapParser{path: path, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	start := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(err)
	}
	if tok != json.Delim('{') {
		return nil, p.problem(start, `must be a JSON object of email → user name, such as {"jane.doe@example.com": "jdoe"}`)
	}
	users := map[string]string{}
	firstKey := map[string]string{} // normalized email → the key as first written
	for p.dec.More() {
		keyAt := p.next()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(err)
		}
		email, _ := tok.(string) // inside an object the decoder only yields string keys
		valueAt := p.next()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return nil, p.syntax(err)
		}
		var username string
		// Unmarshal would turn null into "", so insist on a string literal.
		if raw[0] != '"' || json.Unmarshal(raw, &username) != nil {
			p.problems = append(p.problems, p.problem(valueAt, fmt.Sprintf("the user name for %q must be a string", email)))
			continue
		}
		normalized, err := NormalizeEmail(email)
		switch {
		case err != nil:
			p.problems = append(p.problems, p.problem(keyAt, services.ErrorMessage(err)))
		case firstKey[normalized] != "":
			p.problems = append(p.problems, p.problem(keyAt, fmt.Sprintf("%q is already listed as %q", email, firstKey[normalized])))
		case !services.ValidUsername(username):
			p.problems = append(p.problems, p.problem(valueAt, fmt.Sprintf("%q is not a valid server user name", username)))
		default:
			firstKey[normalized] = email
			users[email] = username
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return nil, p.syntax(err)
	}
	if rest := p.next(); rest < len(data) {
		return nil, p.problem(rest, "unexpected data after the object")
	}
	if len(p.problems) > 0 {
		return nil, errors.Join(p.problems...)
	}
	return users, nil
}

// next returns the offset where the next token starts: the decoder counts the separators
// before a token as part of it.
func (p *userMapParser) next() int {
	i := int(p.dec.InputOffset())
	for i < len(p.data) && bytes.IndexByte([]byte(" \t\r\n,:"), p.data[i]) >= 0 {
		i++
	}
	return i
}

// syntax locates a decoder error; a truncated file surfaces as io.EOF.
func (p *userMapParser) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return p.problem(int(se.Offset), "syntax error: "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.problem(len(bytes.TrimRight(p.data, " \t\r\n")), "syntax error: unexpected end of file")
	default:
		return p.problem(p.next(), "syntax error: "+err.Error())
	}
}

// problem formats a message as PATH:LINE:COL, with 1-based lines and character columns.
func (p *userMapParser) problem(offset int, msg string) error {
	offset = min(max(offset, 0), len(p.data))
	line := 1 + bytes.Count(p.data[:offset], []byte{'\n'})
	col := 1 + utf8.RuneCount(p.data[bytes.LastIndexByte(p.data[:offset], '\n')+1:offset])
	return fmt.Errorf("%s:%d:%d: %s", p.path, line, col, msg)
}

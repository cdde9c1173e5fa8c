package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// kind is the JSON type of a node.
type kind int

const (
	kindObject kind = iota
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
)

// phrase names a kind the way a problem message does: "must be a string, not an array".
func (k kind) phrase() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	default:
		return "null"
	}
}

// node is a parsed JSON value that remembers where it starts, because encoding/json's
// Unmarshal forgets positions and every problem must point at the offending value.
type node struct {
	kind    kind
	offset  int // byte offset of the value's first byte
	str     string
	num     json.Number
	boolean bool
	members []member // objects, in file order, duplicates kept
	elems   []*node  // arrays
}

// member is one key of an object with its value.
type member struct {
	key    string
	offset int // byte offset of the key's opening quote
	value  *node
}

// syntaxError is a document that is not JSON, at a byte offset.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string { return e.msg }

// treeParser walks the token stream of a json.Decoder; data is the same document, used to
// find where each token starts, since InputOffset only tells where the previous one ended.
type treeParser struct {
	data []byte
	dec  *json.Decoder
}

// parseTree parses data, which must hold exactly one JSON value.
func parseTree(data []byte) (*node, *syntaxError) {
	if !utf8.Valid(data) {
		return nil, &syntaxError{offset: firstInvalidUTF8(data), msg: "syntax error: the file is not valid UTF-8"}
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		// Windows Notepad saves one; encoding/json would call it an invalid character 'ï'.
		return nil, &syntaxError{offset: 0, msg: "syntax error: the file starts with a byte-order mark; save it as UTF-8 without one"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &syntaxError{offset: 0, msg: "syntax error: the file is empty; expected a JSON list or object"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &treeParser{data: data, dec: dec}
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	if rest := p.skip(int(dec.InputOffset())); rest < len(data) {
		return nil, &syntaxError{offset: rest, msg: "syntax error: unexpected data after the top-level value"}
	}
	return root, nil
}

// skip returns the offset of the next token at or after from: the decoder consumes
// separators as part of the token that follows them.
func (p *treeParser) skip(from int) int {
	for from < len(p.data) {
		switch p.data[from] {
		case ' ', '\t', '\r', '\n', ',', ':':
			from++
		default:
			return from
		}
	}
	return from
}

// token reads the next token and where it starts.
func (p *treeParser) token() (json.Token, int, *syntaxError) {
	start := p.skip(int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	if err != nil {
		return nil, start, p.syntaxError(err)
	}
	return tok, start, nil
}

// syntaxError turns a decoder error into a positioned problem. The decoder reports a
// truncated document as io.EOF, which inside a value means the end came too soon.
func (p *treeParser) syntaxError(err error) *syntaxError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{offset: min(int(se.Offset), len(p.data)), msg: "syntax error: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		end := len(bytes.TrimRight(p.data, " \t\r\n"))
		return &syntaxError{offset: end, msg: "syntax error: unexpected end of file"}
	}
	return &syntaxError{offset: int(p.dec.InputOffset()), msg: "syntax error: " + err.Error()}
}

func (p *treeParser) value() (*node, *syntaxError) {
	tok, start, err := p.token()
	if err != nil {
		return nil, err
	}
	n := &node{offset: start}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindObject
			return n, p.object(n)
		case '[':
			n.kind = kindArray
			return n, p.array(n)
		default:
			return nil, &syntaxError{offset: start, msg: fmt.Sprintf("syntax error: unexpected %q", rune(t))}
		}
	case string:
		n.kind, n.str = kindString, t
	case json.Number:
		n.kind, n.num = kindNumber, t
	case bool:
		n.kind, n.boolean = kindBool, t
	case nil:
		n.kind = kindNull
	}
	return n, nil
}

func (p *treeParser) object(n *node) *syntaxError {
	for p.dec.More() {
		tok, start, err := p.token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return &syntaxError{offset: start, msg: "syntax error: expected an object key string"}
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		n.members = append(n.members, member{key: key, offset: start, value: v})
	}
	_, _, err := p.token() // the closing '}', which the decoder has already checked
	return err
}

func (p *treeParser) array(n *node) *syntaxError {
	for p.dec.More() {
		v, err := p.value()
		if err != nil {
			return err
		}
		n.elems = append(n.elems, v)
	}
	_, _, err := p.token() // the closing ']'
	return err
}

// firstInvalidUTF8 returns the offset of the first byte that is not valid UTF-8.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

package registry

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Problem is one fault in a registry file, or in a skill file it names. Line and Col are
// 1-based; Col counts characters, not bytes, so it matches what an editor shows.
type Problem struct {
	// File is the skill file the problem is in; empty for the registry file itself.
	File      string
	Line, Col int
	Message   string
}

// ValidationError lists every problem of a registry file, in file order, so an admin can
// fix them all in one pass.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error returns one "FILE:LINE:COL: message" line per problem, the format editors and
// CI annotations understand.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		file := e.File
		if p.File != "" {
			file = p.File
		}
		lines[i] = fmt.Sprintf("%s:%d:%d: %s", file, p.Line, p.Col, p.Message)
	}
	return strings.Join(lines, "\n")
}

// position converts a byte offset in data to a 1-based line and character column.
func position(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	line = 1 + bytes.Count(data[:offset], []byte{'\n'})
	lineStart := bytes.LastIndexByte(data[:offset], '\n') + 1
	return line, 1 + utf8.RuneCount(data[lineStart:offset])
}

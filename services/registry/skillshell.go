package registry

import (
	"regexp"
	"strings"
)

// A skill's shell examples must hand the key to sc-run, which starts the command with the
// keys in its environment and masks them in its output. The agent's own shell does not have
// the key, so a $KEY it expands itself becomes an empty key, and output outside sc-run is not
// masked. shellScan follows a shell example's quoting to tell the two apart: a reference in
// single quotes, or in a here-document with a quoted delimiter, is left to the shell a command
// starts; anywhere else the example's own shell expands it.

// shellLangs are the info strings of the fenced blocks read as shell examples.
var shellLangs = map[string]bool{"sh": true, "shell": true, "bash": true, "zsh": true, "ksh": true}

var (
	// shellRefRE is a parameter reference, $NAME or ${NAME, at the start of the text.
	shellRefRE = regexp.MustCompile(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	// heredocRE is a here-document operator and its delimiter, at the start of the text; a
	// delimiter in quotes or after a backslash makes the body literal.
	heredocRE = regexp.MustCompile(`^<<(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|(\\?)([A-Za-z0-9_.-]+))`)
	// assignmentRE is a NAME=value word before a command's name.
	assignmentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// shellRef is a parameter reference in a shell example.
type shellRef struct {
	offset int    // of the $, in the line
	name   string // the parameter's name
	// underSCRun is true when the reference is left to a shell that sc-run starts: it sits in
	// single quotes or a literal here-document of a command whose name is sc-run.
	underSCRun bool
}

const (
	quotesNone = iota
	quotesSingle
	quotesDouble
)

// heredoc is a here-document announced on a line, whose body starts on the next one.
type heredoc struct {
	delimiter string
	stripTabs bool // <<-
	literal   bool // quoted delimiter: the body is not expanded by this shell
	command   string
}

// shellScan reads one shell example line by line. It knows the POSIX quoting rules, comments,
// line continuations, command separators and here-documents; enough to place a reference, not
// a shell parser.
type shellScan struct {
	quotes    int
	word      strings.Builder // the word being read
	command   string          // the current simple command's name, once read
	continued bool            // the last line ended in a backslash
	pending   []heredoc       // announced on the current line
	bodies    []heredoc       // being read; the first is current
}

// scan returns the references on one line of the example, given without its line break.
func (s *shellScan) scan(line string) []shellRef {
	if len(s.bodies) > 0 {
		return s.body(line)
	}
	if !s.continued && s.quotes == quotesNone {
		s.command = ""
	}
	s.continued = false
	var refs []shellRef
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '$' {
			if m := shellRefRE.FindStringSubmatch(line[i:]); m != nil {
				refs = append(refs, shellRef{offset: i, name: m[1], underSCRun: s.quotes == quotesSingle && isSCRun(s.command)})
			}
		}
		switch s.quotes {
		case quotesSingle:
			if c == '\'' {
				s.quotes = quotesNone
			}
			s.word.WriteByte(c)
			continue
		case quotesDouble:
			switch c {
			case '\\':
				i++ // the next character is literal, and a line break after it joins the lines
			case '"':
				s.quotes = quotesNone
			}
			s.word.WriteByte(c)
			continue
		}
		switch {
		case c == '#' && s.word.Len() == 0:
			i = len(line) // a comment, to the end of the line
		case c == '\\':
			if i == len(line)-1 {
				s.continued = true
			}
			s.word.WriteByte(c)
			i++
			if i < len(line) {
				s.word.WriteByte(line[i])
			}
		case c == '\'':
			s.quotes = quotesSingle
			s.word.WriteByte(c)
		case c == '"':
			s.quotes = quotesDouble
			s.word.WriteByte(c)
		case strings.HasPrefix(line[i:], "<<<"):
			s.endWord()
			i += 2 // a here-string: its word is on this line
		case strings.HasPrefix(line[i:], "<<"):
			s.endWord()
			if m := heredocRE.FindStringSubmatch(line[i:]); m != nil {
				s.pending = append(s.pending, heredoc{
					delimiter: m[2] + m[3] + m[5], stripTabs: m[1] == "-",
					literal: m[5] == "" || m[4] != "", command: s.command,
				})
				i += len(m[0]) - 1
			} else {
				i++
			}
		case c == ' ' || c == '\t':
			s.endWord()
		case strings.IndexByte(";&|()", c) >= 0:
			s.endWord()
			s.command = ""
		default:
			s.word.WriteByte(c)
		}
	}
	if s.quotes == quotesNone && !s.continued {
		s.endWord()
		s.bodies, s.pending = append(s.bodies, s.pending...), nil
	}
	return refs
}

// body reads a line of the current here-document.
func (s *shellScan) body(line string) []shellRef {
	doc := s.bodies[0]
	text := line
	if doc.stripTabs {
		text = strings.TrimLeft(line, "\t")
	}
	if text == doc.delimiter {
		s.bodies = s.bodies[1:]
		return nil
	}
	var refs []shellRef
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && !doc.literal {
			i++
			continue
		}
		if m := shellRefRE.FindStringSubmatch(line[i:]); m != nil {
			refs = append(refs, shellRef{offset: i, name: m[1], underSCRun: doc.literal && isSCRun(doc.command)})
		}
	}
	return refs
}

// endWord finishes the word being read; the first word of a command that is not an
// assignment is the command's name.
func (s *shellScan) endWord() {
	word := s.word.String()
	s.word.Reset()
	if word != "" && s.command == "" && !assignmentRE.MatchString(word) {
		s.command = word
	}
}

// isSCRun reports whether a command's name is sc-run, by name or by path.
func isSCRun(command string) bool {
	return command == "sc-run" || strings.HasSuffix(command, "/sc-run")
}

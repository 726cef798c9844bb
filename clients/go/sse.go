package lumadb

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxEventLine bounds one line of an event stream, so that a peer cannot make the client
// buffer without end.
const maxEventLine = 16 << 20

// Event is one Server-Sent Event: its name ("message" when it had none), its data (the data
// lines joined by newlines) and its id (the id field of this event only, "" without one).
type Event struct {
	Name string
	Data string
	ID   string
}

// EventParser parses text/event-stream bytes as the HTML standard describes, incrementally:
// lines end with CRLF, LF or CR; a blank line ends an event; lines starting with ':' are
// comments; an event without data is not dispatched. Bytes may be split anywhere, also inside
// a UTF-8 sequence or between the CR and LF of a line end.
type EventParser struct {
	pending []byte
	started bool
	name    string
	data    []string
	hasData bool
	id      string
}

// Feed takes the next bytes of the stream and returns the events they complete.
func (p *EventParser) Feed(b []byte) ([]Event, error) {
	var events []Event
	buf := b
	if len(p.pending) > 0 {
		buf = append(p.pending, b...)
		p.pending = nil
	}
	start := 0
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		if c != '\n' && c != '\r' {
			continue
		}
		if c == '\r' && i+1 == len(buf) {
			// a CR at the end may be the first half of a CRLF: wait for the next byte
			break
		}
		p.line(buf[start:i], &events)
		if c == '\r' && buf[i+1] == '\n' {
			i++
		}
		start = i + 1
	}
	if start < len(buf) {
		p.pending = append([]byte(nil), buf[start:]...)
	}
	if len(p.pending) > maxEventLine {
		return events, protocolError("an event stream line is longer than %d bytes", maxEventLine)
	}
	return events, nil
}

func (p *EventParser) line(raw []byte, events *[]Event) {
	if !p.started {
		p.started = true
		raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	}
	if len(raw) == 0 {
		if p.hasData {
			name := p.name
			if name == "" {
				name = "message"
			}
			*events = append(*events, Event{Name: name, Data: strings.Join(p.data, "\n"), ID: p.id})
		}
		p.name, p.data, p.hasData, p.id = "", nil, false, ""
		return
	}
	if raw[0] == ':' {
		return
	}
	line := string(raw)
	if !utf8.ValidString(line) {
		line = strings.ToValidUTF8(line, "\uFFFD")
	}
	field, value := line, ""
	if i := strings.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], strings.TrimPrefix(line[i+1:], " ")
	}
	switch field {
	case "event":
		p.name = value
	case "data":
		p.data = append(p.data, value)
		p.hasData = true
	case "id":
		if !strings.ContainsRune(value, 0) {
			p.id = value
		}
	}
}

package lumadb

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sseStream = "\xef\xbb\xbfevent: subscribed\ndata: {\"token\":\"t0\"}\n\n" +
	": a comment\r\n" +
	"id: t1\r\nevent: change\r\ndata: {\"op\":\"c\"}\r\n\r\n" +
	"id: t2\revent: heartbeat\rdata: {\"token\":\"t2\"}\r\r" +
	"data: line one\ndata:line two\n\n" +
	"event: nodata\n\n"

var sseExpected = []Event{
	{Name: "subscribed", Data: `{"token":"t0"}`},
	{Name: "change", Data: `{"op":"c"}`, ID: "t1"},
	{Name: "heartbeat", Data: `{"token":"t2"}`, ID: "t2"},
	{Name: "message", Data: "line one\nline two"},
}

func feedAll(t *testing.T, p *EventParser, parts ...[]byte) []Event {
	t.Helper()
	var events []Event
	for _, part := range parts {
		got, err := p.Feed(part)
		if err != nil {
			t.Fatalf("Feed(%q): %v", part, err)
		}
		events = append(events, got...)
	}
	return events
}

func bytewise(s string) [][]byte {
	parts := make([][]byte, len(s))
	for i := 0; i < len(s); i++ {
		parts[i] = []byte{s[i]}
	}
	return parts
}

func TestEventParserParsesEveryLineEndingWhole(t *testing.T) {
	got := feedAll(t, &EventParser{}, []byte(sseStream))
	if !reflect.DeepEqual(sseExpected, got) {
		t.Fatalf("events:\nwant %#v\ngot  %#v", sseExpected, got)
	}
}

func TestEventParserParsesEveryLineEndingByteByByte(t *testing.T) {
	got := feedAll(t, &EventParser{}, bytewise(sseStream)...)
	if !reflect.DeepEqual(sseExpected, got) {
		t.Fatalf("events:\nwant %#v\ngot  %#v", sseExpected, got)
	}
}

func TestEventParserJoinsUTF8SplitAcrossReads(t *testing.T) {
	raw := "event: change\ndata: {\"name\":\"Zoë ✓\"}\n\n"
	got := feedAll(t, &EventParser{}, bytewise(raw)...)
	want := []Event{{Name: "change", Data: `{"name":"Zoë ✓"}`}}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("want %#v, got %#v", want, got)
	}
}

func TestEventParserKeepsAnUnfinishedEventUntilItsBlankLine(t *testing.T) {
	p := &EventParser{}
	if got := feedAll(t, p, []byte("id: t1\nevent: change\ndata: {}\n")); len(got) != 0 {
		t.Fatalf("an event without its blank line was dispatched: %#v", got)
	}
	got := feedAll(t, p, []byte("\n"))
	want := []Event{{Name: "change", Data: "{}", ID: "t1"}}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("want %#v, got %#v", want, got)
	}
}

func TestEventParserTakesTheIDOfEachEventOnly(t *testing.T) {
	got := feedAll(t, &EventParser{}, []byte("id: a\ndata: 1\n\ndata: 2\n\nid\ndata: 3\n\n"))
	want := []Event{{Name: "message", Data: "1", ID: "a"}, {Name: "message", Data: "2"}, {Name: "message", Data: "3"}}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("want %#v, got %#v", want, got)
	}
}

func TestEventParserRefusesAnEndlessLine(t *testing.T) {
	p := &EventParser{}
	chunk := []byte("data: " + strings.Repeat("x", 1<<20))
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		_, err = p.Feed(chunk)
	}
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("a line of 20 MiB: want ErrProtocol, got %v", err)
	}
}

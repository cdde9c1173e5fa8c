package storetest

import (
	"io"
	"log/slog"
)

// discardLog is a logger whose lines go nowhere.
func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

package refservice

import "time"

// The seeded data of the three APIs is computed from fixed tables and the item's index, never
// drawn at random, so every run, spec and skill example sees the same records.

// currency is the currency of every amount in the seeded data.
const currency = "EUR"

// vatPercent is the VAT rate applied to every seeded order and invoice.
const vatPercent = 20

// cents is an amount in euro cents: the seed computes in whole cents so that lines, nets,
// taxes and totals add up exactly, and turns them into euros only for the answer.
type cents int64

func (c cents) euros() float64 { return float64(c) / 100 }

// vat is the VAT on net, rounded half up to the cent.
func vat(net cents) cents { return (net*vatPercent + 50) / 100 }

// day is a calendar date of the seeded data.
func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 0, 0, 0, 0, time.UTC)
}

// isoDate formats t as an ISO 8601 date.
func isoDate(t time.Time) string { return t.Format(time.DateOnly) }

// isoDatePtr is isoDate for an optional date: nil (JSON null) for the zero time.
func isoDatePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := isoDate(t)
	return &s
}

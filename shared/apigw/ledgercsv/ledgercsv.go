// Package ledgercsv writes the refund ledger as CSV for reconciliation
// (F13, GET /v1/staff/refunds/export): one row per refund, then the monthly
// totals and the share of each channel, computed from the same rows while
// they stream. The file starts with a UTF-8 byte order mark so that Excel
// shows Chinese text (reasons, account names) correctly. Rows marked
// sandbox (provider mode sandbox: no money moved) are listed but left out
// of the totals.
//
// Amounts are written twice: in fen (the exact integer the books keep) and
// in yuan with two decimals (what an accountant reads). Months are in China
// Standard Time, the merchant's business calendar.
//
// It sits under apigw because the export route is the only place that
// speaks this format.
package ledgercsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// BOM is the UTF-8 byte order mark the file starts with.
const BOM = "\ufeff"

// Header names the columns of the refund rows.
var Header = []string{
	"refund_id", "out_refund_no", "case_id", "order_id", "buyer_id", "buyer_phone",
	"amount_fen", "amount_yuan", "currency", "channel", "destination", "status",
	"provider_refund_id", "account", "approved_by", "approved_at", "created_at", "arrived_at",
	// Added later, so at the end: files read by column position keep
	// working. sandbox is true when no money moved (provider mode sandbox).
	"paid_by", "sandbox",
}

// Titles of the summary sections after the rows. A blank line comes
// before each, for people; parsers skip blank lines, so the titles mark the
// sections for programs.
const (
	TitleMonths   = "monthly totals"
	TitleChannels = "share by channel"
)

// business is the time zone months are counted in.
var business = time.FixedZone("CST", 8*60*60)

// Writer streams ledger rows and, on Close, the totals.
type Writer struct {
	csv      *csv.Writer
	months   map[string]*total
	channels map[aftersales.PaymentChannel]*total
	all      total
}

type total struct {
	count  int
	amount int64
}

// NewWriter writes the BOM and the header to w.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return nil, err
	}
	return &Writer{csv: cw, months: map[string]*total{}, channels: map[aftersales.PaymentChannel]*total{}}, nil
}

// Write adds one refund row and counts it in the totals, unless it is a
// sandbox row: no money moved, so it is listed but counted nowhere (a trial
// before going live must not swell the live months).
func (w *Writer) Write(r *aftersales.Refund) error {
	if !r.Sandbox {
		month := r.CreatedAt.In(business).Format("2006-01")
		add(w.months, month, r.Amount.Amount)
		add(w.channels, r.Channel, r.Amount.Amount)
		w.all.count++
		w.all.amount += r.Amount.Amount
	}
	return w.csv.Write([]string{
		r.ID(), r.OutRefundNo, r.CaseID, r.OrderID, r.BuyerID, r.BuyerPhone,
		strconv.FormatInt(r.Amount.Amount, 10), Yuan(r.Amount.Amount), r.Amount.Currency,
		string(r.Channel), string(r.Destination), string(r.Status),
		r.ProviderRefundID, r.Account, r.ApprovedBy, stamp(r.ApprovedAt), stamp(r.CreatedAt), stamp(r.ArrivedAt),
		r.PaidBy, strconv.FormatBool(r.Sandbox),
	})
}

func add[K comparable](m map[K]*total, k K, amount int64) {
	t, ok := m[k]
	if !ok {
		t = &total{}
		m[k] = t
	}
	t.count++
	t.amount += amount
}

// Close writes the totals: the monthly totals, then the share of each
// channel (by amount), each after a blank line and its title; and flushes.
func (w *Writer) Close() error {
	rows := [][]string{{""}, {TitleMonths}, {"month", "refunds", "amount_fen", "amount_yuan"}}
	for _, m := range slices.Sorted(maps.Keys(w.months)) {
		t := w.months[m]
		rows = append(rows, []string{m, strconv.Itoa(t.count), strconv.FormatInt(t.amount, 10), Yuan(t.amount)})
	}
	rows = append(rows, []string{"total", strconv.Itoa(w.all.count), strconv.FormatInt(w.all.amount, 10), Yuan(w.all.amount)},
		[]string{""}, []string{TitleChannels}, []string{"channel", "refunds", "amount_fen", "amount_yuan", "share_percent"})
	for _, ch := range slices.Sorted(maps.Keys(w.channels)) {
		t := w.channels[ch]
		rows = append(rows, []string{string(ch), strconv.Itoa(t.count), strconv.FormatInt(t.amount, 10), Yuan(t.amount),
			percent(t.amount, w.all.amount)})
	}
	for _, r := range rows {
		if err := w.csv.Write(r); err != nil {
			return err
		}
	}
	w.csv.Flush()
	return w.csv.Error()
}

// Yuan renders fen as yuan with two decimals, exactly ("-12.05").
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// percent is part of whole in percent with two decimals, rounded half up
// in integers (no floating point near money).
func percent(part, whole int64) string {
	if whole == 0 {
		return "0.00"
	}
	bp := (part*20000/whole + 1) / 2 // hundredths of a percent
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

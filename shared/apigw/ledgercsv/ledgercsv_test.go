package ledgercsv

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

func TestExportOpensInACSVParserAndTotalsAddUp(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	refunds := []aftersales.Refund{
		{OutRefundNo: "as_1-1", CaseID: "as_1", Amount: aftersales.Money{Amount: 9900, Currency: "CNY"}, Channel: aftersales.ChannelWeChatPay, Status: aftersales.RefundSucceeded, CreatedAt: at("2026-10-31T15:59:00Z"), Account: "支付用户零钱"},
		{OutRefundNo: "as_2-1", CaseID: "as_2", Amount: aftersales.Money{Amount: 1005, Currency: "CNY"}, Channel: aftersales.ChannelAlipay, Status: aftersales.RefundSucceeded, CreatedAt: at("2026-10-31T16:01:00Z")},
		{OutRefundNo: "as_3-2", CaseID: "as_3", Amount: aftersales.Money{Amount: 1, Currency: "CNY"}, Channel: aftersales.ChannelBalance, Status: aftersales.RefundProcessing, CreatedAt: at("2026-11-11T00:00:00Z")},
		{OutRefundNo: "as_4-1", CaseID: "as_4", Amount: aftersales.Money{Amount: 500, Currency: "CNY"}, Channel: aftersales.ChannelBankCard,
			Status: aftersales.RefundSucceeded, ProviderRefundID: "BANK-1", PaidBy: "staff:f1", CreatedAt: at("2026-11-12T00:00:00Z")},
		// A trial row: listed, marked, and in no total.
		{OutRefundNo: "as_5-1", CaseID: "as_5", Amount: aftersales.Money{Amount: 700000, Currency: "CNY"}, Channel: aftersales.ChannelWeChatPay,
			Status: aftersales.RefundSucceeded, Sandbox: true, CreatedAt: at("2026-11-13T00:00:00Z")},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range refunds {
		if err := w.Write(&refunds[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(BOM)) {
		t.Fatalf("no UTF-8 BOM at the start")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), BOM)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(Header, ",") {
		t.Fatalf("header = %v", recs[0])
	}
	col := func(name string) int {
		for i, h := range Header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	var rowSum int64 // of the rows where money moved
	rows := recs[1 : 1+len(refunds)]
	for _, rec := range rows {
		n, err := strconv.ParseInt(rec[col("amount_fen")], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if rec[col("sandbox")] == "false" {
			rowSum += n
		}
	}
	if rows[0][col("account")] != "支付用户零钱" || rows[1][col("amount_yuan")] != "10.05" {
		t.Errorf("rows = %v", rows)
	}
	if rows[3][col("paid_by")] != "staff:f1" || rows[3][col("provider_refund_id")] != "BANK-1" || rows[3][col("sandbox")] != "false" {
		t.Errorf("the row paid by hand = %v", rows[3])
	}
	if rows[4][col("sandbox")] != "true" || rowSum != 9900+1005+1+500 {
		t.Errorf("the sandbox row = %v, sum of the rows where money moved %d", rows[4], rowSum)
	}
	// Sections after the rows: a title, a header, rows.
	section := map[string][][]string{}
	name := ""
	for _, rec := range recs[1+len(refunds):] {
		if len(rec) == 1 {
			name = rec[0]
			continue
		}
		section[name] = append(section[name], rec)
	}
	months := section[TitleMonths][1:]
	var monthSum int64
	got := map[string]string{}
	for _, rec := range months {
		n, _ := strconv.ParseInt(rec[2], 10, 64)
		got[rec[0]] = rec[2]
		if rec[0] != "total" {
			monthSum += n
		} else if n != rowSum {
			t.Errorf("total %d != sum of rows %d", n, rowSum)
		}
	}
	if monthSum != rowSum {
		t.Errorf("monthly totals %d != sum of rows %d", monthSum, rowSum)
	}
	// 2026-10-31T16:01Z is November 1st in China: the months follow CST.
	if got["2026-10"] != "9900" || got["2026-11"] != "1506" {
		t.Errorf("months = %v", got)
	}
	var chanSum int64
	share := map[string]string{}
	for _, rec := range section[TitleChannels][1:] {
		n, _ := strconv.ParseInt(rec[2], 10, 64)
		chanSum += n
		share[rec[0]] = rec[4]
	}
	if chanSum != rowSum {
		t.Errorf("channel totals %d != sum of rows %d", chanSum, rowSum)
	}
	if share["wechatpay"] != "86.80" || share["alipay"] != "8.81" || share["balance"] != "0.01" || share["bankcard"] != "4.38" {
		t.Errorf("shares = %v", share)
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 1005: "10.05", -1205: "-12.05", 9900: "99.00"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

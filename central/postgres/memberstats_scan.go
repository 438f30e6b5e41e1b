package postgres

import (
	"encoding/binary"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/tillsync/tillsync/central"
)

// A full walk reads a million rows or more. Per row, pgx's Scan looks up a
// plan per column and allocates for every nullable one, which cost about
// as much CPU as the server's work for the row; the walk's rows are
// decoded here instead, straight from the wire, when their numbers come in
// binary format (pgx asks for it in its default query modes; a DSN may
// choose the simple protocol, which sends text, and then Scan is used).

// binaryColumns reports whether fields are n columns, the first texts of
// them text and the rest bigint in binary format.
func binaryColumns(fields []pgconn.FieldDescription, texts, n int) bool {
	if len(fields) != n {
		return false
	}
	for i, f := range fields {
		switch {
		case i < texts: // text is the same bytes in either format
			if f.DataTypeOID != pgtype.TextOID {
				return false
			}
		case f.DataTypeOID != pgtype.Int8OID || f.Format != pgtype.BinaryFormatCode:
			return false
		}
	}
	return true
}

// int8At decodes a bigint in binary format.
func int8At(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// rawMSTime returns the UTC time of a nullable bigint of Unix milliseconds,
// zero for NULL.
func rawMSTime(b []byte) time.Time {
	if b == nil {
		return time.Time{}
	}
	return time.UnixMilli(int8At(b)).UTC()
}

// scanLifetime reads a row of cardLifetimeSQL into a; binary is
// binaryColumns(fields, 2, 9).
func scanLifetime(rows pgx.Rows, binary bool, a *central.MemberActivity) error {
	if !binary {
		var first, last *int64
		err := rows.Scan(&a.Card, &a.MemberID, &first, &last, &a.LifetimeVisits, &a.LifetimeSpendFen,
			&a.LifetimeLargestSaleFen, &a.PointsEarned, &a.PointsRedeemed)
		if first != nil {
			a.FirstPurchase = time.UnixMilli(*first).UTC()
		}
		if last != nil {
			a.LastPurchase = time.UnixMilli(*last).UTC()
		}
		return err
	}
	v := rows.RawValues()
	a.Card, a.MemberID = string(v[0]), string(v[1])
	a.FirstPurchase, a.LastPurchase = rawMSTime(v[2]), rawMSTime(v[3])
	a.LifetimeVisits, a.LifetimeSpendFen, a.LifetimeLargestSaleFen = int8At(v[4]), int8At(v[5]), int8At(v[6])
	a.PointsEarned, a.PointsRedeemed = int8At(v[7]), int8At(v[8])
	return nil
}

// scanMonths reads a row of cardMonthsSQL into c; binary is
// binaryColumns(fields, 1, 5).
func scanMonths(rows pgx.Rows, binary bool, c *cardMonths) error {
	if !binary {
		return rows.Scan(&c.card, &c.visits, &c.spendFen, &c.largestFen, &c.annualFen)
	}
	v := rows.RawValues()
	c.card = string(v[0])
	c.visits, c.spendFen, c.largestFen, c.annualFen = int8At(v[1]), int8At(v[2]), int8At(v[3]), int8At(v[4])
	return nil
}

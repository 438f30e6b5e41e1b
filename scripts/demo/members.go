package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
)

// Member is one membership row of the legacy file HQ imports. Name and
// Phone are personal data: they must never reach a store or a log.
type Member struct {
	ID, Card, Name, Phone, Income, Kind, Store string
	Points                                     int64   // opening balance
	weight                                     float64 // how much this member shops
}

// Membership is the generated member base with a skewed spend
// distribution: who comes to the till is drawn by weight.
type Membership struct {
	Members []Member
	cum     []float64 // cumulative weights for Pick
}

var (
	surnames = []rune("王李张刘陈杨赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊孟秦邱江尹薛阎段雷侯龙史陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛超霞刚桂英华慧婷玉萍娥玲兰凤洁琳素云莲真环雪荣爱妹莺媛瑞凡佳嘉琼勤珍贞莉") // none starts a product noun
	incomes  = []string{"<3000", "3000-8000", "8000-20000", ">20000"}
)

// GenerateMembership makes n members spread over stores (S001…), the same
// for the same seed. Shopping weights follow a Pareto law (α ≈ 1.16, the
// 80/20 rule), so a few members bring most of the spend, as in a real
// loyalty base; opening balances grow with the weight.
func GenerateMembership(seed uint64, n, stores int) *Membership {
	r := rand.New(rand.NewPCG(seed, 0x3e3be25))
	m := &Membership{Members: make([]Member, 0, n), cum: make([]float64, 0, n)}
	total := 0.0
	for i := 0; i < n; i++ {
		w := math.Min(math.Pow(1-r.Float64(), -1/1.16), 500)
		mem := Member{
			ID: fmt.Sprintf("M%07d", i+1), Card: luhnCard(10000000 + i*7),
			Name:   personName(r),
			Phone:  fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000)),
			Income: incomes[min(int(w/3), len(incomes)-1)], Kind: "customer",
			Store:  storeID(1 + r.IntN(max(stores, 1))),
			Points: int64(w*150) + r.Int64N(300), weight: w,
		}
		switch {
		case i%500 == 7:
			mem.Kind = "staff"
		case i%997 == 11:
			mem.Kind = "test"
		}
		m.Members = append(m.Members, mem)
		total += w
		m.cum = append(m.cum, total)
	}
	return m
}

// personName is a two- or three-character Chinese name.
func personName(r *rand.Rand) string {
	name := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	if r.IntN(3) > 0 {
		name += string(given[r.IntN(len(given))])
	}
	return name
}

// Pick draws a member by shopping weight among the first n (all when n
// is out of range): the regulars who come back during a short demo, so
// that repeat visits give the customer pyramid something to rank.
func (m *Membership) Pick(r *rand.Rand, n int) *Member {
	if n <= 0 || n > len(m.cum) {
		n = len(m.cum)
	}
	x := r.Float64() * m.cum[n-1]
	i := sort.SearchFloat64s(m.cum[:n], x)
	return &m.Members[min(i, n-1)]
}

func storeID(n int) string { return fmt.Sprintf("S%03d", n) }

// WriteCSV writes the legacy member file `tillsync-central members
// import` reads.
func (m *Membership) WriteCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create members %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	if err := w.Write([]string{"member_id", "card", "name", "phone", "income_bracket", "kind", "store", "points"}); err != nil {
		f.Close()
		return fmt.Errorf("write members %s: %w", path, err)
	}
	for _, x := range m.Members {
		if err := w.Write([]string{x.ID, x.Card, x.Name, x.Phone, x.Income, x.Kind, x.Store, strconv.FormatInt(x.Points, 10)}); err != nil {
			f.Close()
			return fmt.Errorf("write members %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write members %s: %w", path, err)
	}
	return f.Close()
}

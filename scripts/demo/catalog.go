package main

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

// Product is one catalog row as HQ publishes it. Weighed products have an
// item code for scale labels and no barcode; their prices are per kg.
type Product struct {
	SKU, Barcode, Name, Category string
	PriceFen, MemberPriceFen     int64
	Weighed, PointsEligible      bool
	Multiplier                   int // hundredths; 0 = x1
	ItemCode                     int
}

// Catalog is the generated chain catalog.
type Catalog struct {
	Products []Product
	Packaged []int // indices of barcoded products
	Weighed  []int // indices of weighed products
}

// category is a supermarket department: what its products are called and
// what they cost (fen, for one unit or one kg when weighed).
type category struct {
	name             string
	share            int // of the range, in parts of 100
	weighed          bool
	minFen, maxFen   int64
	nouns, sizes     []string
	noPoints, double bool
}

var categories = []category{
	{name: "dairy", share: 10, minFen: 350, maxFen: 6990, nouns: []string{"纯牛奶", "酸奶", "奶酪", "黄油", "乳饮料"}, sizes: []string{"200ml", "250ml", "1L", "6盒装"}},
	{name: "bakery", share: 7, minFen: 300, maxFen: 3990, nouns: []string{"吐司", "面包", "蛋糕", "饼干", "月饼"}, sizes: []string{"100g", "400g", "6只装"}},
	{name: "grocery", share: 16, minFen: 290, maxFen: 12990, nouns: []string{"大米", "面粉", "食用油", "酱油", "米醋", "挂面", "方便面"}, sizes: []string{"500g", "1kg", "5kg", "5L", "500ml"}},
	{name: "beverage", share: 11, minFen: 200, maxFen: 5990, nouns: []string{"矿泉水", "可乐", "果汁", "绿茶", "咖啡"}, sizes: []string{"330ml", "550ml", "1.5L", "12瓶装"}},
	{name: "snacks", share: 11, minFen: 250, maxFen: 4990, nouns: []string{"薯片", "坚果", "巧克力", "糖果", "瓜子"}, sizes: []string{"50g", "100g", "250g", "500g"}},
	{name: "household", share: 8, minFen: 590, maxFen: 8990, nouns: []string{"抽纸", "洗衣液", "洗洁精", "垃圾袋", "保鲜膜"}, sizes: []string{"3包", "2kg", "500g", "30只"}},
	{name: "personal", share: 7, minFen: 690, maxFen: 12990, nouns: []string{"洗发水", "沐浴露", "牙膏", "牙刷", "香皂"}, sizes: []string{"120g", "400ml", "750ml", "2支装"}},
	{name: "frozen", share: 6, minFen: 990, maxFen: 8990, nouns: []string{"水饺", "汤圆", "冰淇淋", "鸡翅", "虾仁"}, sizes: []string{"300g", "500g", "1kg"}},
	{name: "baby", share: 2, minFen: 2990, maxFen: 39800, nouns: []string{"婴儿奶粉", "纸尿裤", "米粉", "湿巾"}, sizes: []string{"800g", "L码", "80片"}},
	{name: "liquor", share: 3, minFen: 1590, maxFen: 59900, nouns: []string{"白酒", "啤酒", "红酒", "黄酒"}, sizes: []string{"500ml", "750ml", "6听装"}},
	{name: "tobacco", share: 1, minFen: 1000, maxFen: 10000, nouns: []string{"香烟"}, sizes: []string{"20支"}, noPoints: true},
	{name: "fruit", share: 6, weighed: true, minFen: 599, maxFen: 5999, nouns: []string{"苹果", "香蕉", "橙子", "葡萄", "西瓜", "芒果", "梨"}, sizes: []string{"(每千克)"}, double: true},
	{name: "vegetables", share: 6, weighed: true, minFen: 199, maxFen: 1999, nouns: []string{"西红柿", "黄瓜", "土豆", "白菜", "青椒", "胡萝卜"}, sizes: []string{"(每千克)"}},
	{name: "meat", share: 4, weighed: true, minFen: 2599, maxFen: 12999, nouns: []string{"猪肉", "牛肉", "羊肉", "鸡腿"}, sizes: []string{"(每千克)"}},
	{name: "seafood", share: 2, weighed: true, minFen: 3999, maxFen: 19999, nouns: []string{"鲈鱼", "带鱼", "虾", "扇贝"}, sizes: []string{"(每千克)"}},
}

// pickCategory draws a department by its share of the range.
func pickCategory(r *rand.Rand) category {
	x := r.IntN(100)
	for _, c := range categories {
		if x < c.share {
			return c
		}
		x -= c.share
	}
	return categories[0]
}

var brands = []string{"金龙", "康师", "蒙牛", "伊利", "光明", "统一", "海天", "蓝月", "维达", "农夫", "鲁花", "三元", "恒顺", "乐事", "德芙", "雕牌"}

// GenerateCatalog makes n products (at least one per category, then by
// each department's share of the range), the same for the same seed:
// about one in five weighed, a quarter with a member
// price, EAN-13 barcodes with a Chinese GS1 prefix and some UPC-A and
// EAN-8, every check digit valid.
func GenerateCatalog(seed uint64, n int) *Catalog {
	r := rand.New(rand.NewPCG(seed, 0xca7a1065))
	c := &Catalog{}
	n = max(n, len(categories))
	for i := 0; i < n; i++ {
		cat := categories[i%len(categories)] // one of each first
		if i >= len(categories) {
			cat = pickCategory(r)
		}
		c.add(r, i, cat)
	}
	return c
}

func (c *Catalog) add(r *rand.Rand, i int, cat category) {
	p := Product{SKU: strconv.Itoa(100001 + i), Category: cat.name, PointsEligible: !cat.noPoints}
	p.Name = brands[r.IntN(len(brands))] + cat.nouns[r.IntN(len(cat.nouns))] + " " + cat.sizes[r.IntN(len(cat.sizes))]
	u := r.Float64() // cheap goods are the many: skew towards the low end
	p.PriceFen = shelfPrice(cat.minFen + int64(u*u*u*float64(cat.maxFen-cat.minFen)))
	if r.IntN(4) == 0 && !cat.noPoints {
		p.MemberPriceFen = shelfPrice(p.PriceFen * int64(85+r.IntN(11)) / 100)
		if p.MemberPriceFen >= p.PriceFen {
			p.MemberPriceFen = 0
		}
	}
	if !cat.double && !cat.noPoints && r.IntN(40) == 0 {
		p.Multiplier = 200
	}
	if cat.weighed {
		p.Weighed, p.ItemCode = true, 1000+len(c.Weighed) // four digits: the "22" label layout
		c.Weighed = append(c.Weighed, len(c.Products))
	} else {
		p.Barcode = gtinFor(r, i)
		c.Packaged = append(c.Packaged, len(c.Products))
	}
	c.Products = append(c.Products, p)
}

// gtinFor is product i's barcode, unique per i: mostly EAN-13 "690"…,
// one in twelve a UPC-A (imported goods), the first hundred or so small
// items an EAN-8.
func gtinFor(r *rand.Rand, i int) string {
	switch {
	case i < 200 && i%2 == 1:
		return withCheckDigit(fmt.Sprintf("690%04d", i))
	case r.IntN(12) == 0:
		return withCheckDigit(fmt.Sprintf("0%05d%05d", 36000+i%1000, i))
	default:
		return withCheckDigit(fmt.Sprintf("69%05d%05d", 12000+i/100000, i))
	}
}

// shelfPrice ends a price in 0 or 9 fen below the next 10 (12.90, 4.99).
func shelfPrice(fen int64) int64 {
	if fen < 100 {
		return 100
	}
	if fen%2 == 0 {
		return fen / 10 * 10
	}
	return fen/10*10 + 9
}

// WriteCSV writes the catalog in the form `tillsync-central catalog
// publish` reads (configs/catalog.example.csv).
func (c *Catalog) WriteCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create catalog %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	rows := [][]string{{"sku", "barcodes", "name", "category", "price_fen", "member_price_fen", "weighed", "points_eligible", "points_multiplier", "item_code"}}
	for _, p := range c.Products {
		rows = append(rows, []string{p.SKU, p.Barcode, p.Name, p.Category, itoa(p.PriceFen), optional(p.MemberPriceFen),
			strconv.FormatBool(p.Weighed), strconv.FormatBool(p.PointsEligible), optional(int64(p.Multiplier)), optional(int64(p.ItemCode))})
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("write catalog %s: %w", path, err)
	}
	return f.Close()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func optional(n int64) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

package http

import (
	"net/http"
	"strconv"
	"strings"
)

// defaultScreenLang is the till screen's language when neither ?lang= nor
// the browser's Accept-Language names one the catalog has.
const defaultScreenLang = "en"

// screenMessages is the till screen's message catalog: every label the
// page and its script show, by language. Both languages hold the same keys
// (a test checks).
var screenMessages = map[string]map[string]string{
	"en": {
		"title": "Till", "lane": "Lane", "entry": "Scan or key in",
		"item": "Item", "qty": "Qty", "price": "Price", "amount": "Amount",
		"total": "Total", "saving": "Member savings", "due": "Due", "change": "Change",
		"tendered": "Tendered", "empty": "Scan an item to start",
		"member": "Member", "no_member": "No member card", "tier": "Tier", "phone": "Phone",
		"balance": "Balance", "available": "Available", "pending": "Pending",
		"points_sale": "Points this sale", "unknown_card": "Card not known here: points resolved at HQ",
		"rewards": "Rewards", "points": "points",
		"k_sku": "SKU", "k_qty": "Qty", "k_void": "Void line", "k_cancel": "Cancel sale",
		"k_card": "Member card", "k_reward": "Reward", "k_cash": "Cash", "k_bank": "Bank card",
		"k_points": "Points", "k_commit": "Commit", "k_return": "Return", "k_esc": "Back",
		"m_scan":         "Scan an item or member card, or key in a barcode",
		"m_sku":          "Key in SKU, optionally *quantity (1003*2)",
		"m_qty":          "Key in line*quantity (2*3)",
		"m_void":         "Key in the line number to void (Enter: last line)",
		"m_card":         "Key in the member card number",
		"m_reward":       "Key in the reward number from the list",
		"m_cash":         "Key in cash received in yuan (Enter: exact amount)",
		"m_bank":         "Key in the card terminal reference (amount: what is due)",
		"m_points":       "Key in points (Enter: enough points for what is due)",
		"m_return":       "Scan the receipt barcode or key in the sale id",
		"m_return_lines": "Lines to return (1,3 or 2*0.5; Enter: all). Enter/F6: cash refund, F7: bank card",
		"receipt":        "Receipt", "receipt_no": "Receipt no.", "points_earned": "Points earned (pending)",
		"points_redeemed": "Points redeemed", "new_sale": "Esc or a scan starts the next sale",
		"return_receipt": "Return", "refund": "Refund", "points_reversed": "Points reversed",
		"points_refunded": "Points given back", "return_of": "Sale", "sale_id": "Sale id (for returns)",
		"offline":  "OFFLINE: sales are kept here and sync when HQ is back.",
		"unsynced": "Waiting to sync", "oldest": "oldest", "offline_long": "Call IT: the store has been unsynced too long.",
		"online": "Online", "offline_short": "Offline", "syncing": "Syncing", "synced": "Synced", "status_err": "Agent not answering",
		"err_entry": "Key in a value first", "err_number": "Not a number",
		"err_reward": "No reward with that number", "err_nothing_due": "Nothing is due",
		"err_net":     "The agent did not answer; try again",
		"lang_switch": "中文", "min": "min", "h": "h", "s": "s", "live_lost": "Live updates lost, reconnecting",
	},
	"zh": {
		"title": "收银", "lane": "收银台", "entry": "扫码或输入",
		"item": "商品", "qty": "数量", "price": "单价", "amount": "金额",
		"total": "合计", "saving": "会员优惠", "due": "应付", "change": "找零",
		"tendered": "已付", "empty": "请扫描商品",
		"member": "会员", "no_member": "未刷会员卡", "tier": "等级", "phone": "手机尾号",
		"balance": "积分余额", "available": "可用积分", "pending": "待生效积分",
		"points_sale": "本单积分", "unknown_card": "本店未知此卡：积分由总部核对",
		"rewards": "积分兑换", "points": "积分",
		"k_sku": "货号", "k_qty": "改数量", "k_void": "删除行", "k_cancel": "取消交易",
		"k_card": "会员卡", "k_reward": "兑换", "k_cash": "现金", "k_bank": "银行卡",
		"k_points": "积分支付", "k_commit": "结账", "k_return": "退货", "k_esc": "返回",
		"m_scan":         "扫描商品或会员卡，或输入条码",
		"m_sku":          "输入货号，可加 *数量（1003*2）",
		"m_qty":          "输入 行号*数量（2*3）",
		"m_void":         "输入要删除的行号（回车：最后一行）",
		"m_card":         "输入会员卡号",
		"m_reward":       "输入列表中的兑换编号",
		"m_cash":         "输入收到的现金（元；回车：正好）",
		"m_bank":         "输入刷卡终端参考号（金额为应付）",
		"m_points":       "输入积分（回车：抵扣应付所需积分）",
		"m_return":       "扫描小票条码或输入销售单号",
		"m_return_lines": "退货行（1,3 或 2*0.5；回车：全部）。回车/F6 现金退款，F7 银行卡",
		"receipt":        "小票", "receipt_no": "小票号", "points_earned": "本单获得积分（待生效）",
		"points_redeemed": "使用积分", "new_sale": "按 Esc 或扫码开始下一单",
		"return_receipt": "退货", "refund": "退款", "points_reversed": "扣回积分",
		"points_refunded": "退还积分", "return_of": "原销售单", "sale_id": "销售单号（退货用）",
		"offline":  "离线：销售已保存在本店，恢复连接后自动同步。",
		"unsynced": "待同步", "oldest": "最早", "offline_long": "请联系 IT：本店未同步时间过长。",
		"online": "在线", "offline_short": "离线", "syncing": "同步中", "synced": "已同步", "status_err": "门店代理无响应",
		"err_entry": "请先输入", "err_number": "不是数字",
		"err_reward": "没有这个兑换编号", "err_nothing_due": "没有应付金额",
		"err_net":     "门店代理无响应，请重试",
		"lang_switch": "English", "min": "分钟", "h": "小时", "s": "秒", "live_lost": "实时连接中断，正在重连",
	},
}

func otherLang(lang string) string {
	if lang == "zh" {
		return "en"
	}
	return "zh"
}

// screenLang picks the page's language: ?lang= when the catalog has it,
// else the Accept-Language range of highest weight the catalog has (RFC
// 9110 §12.5.4; "zh-CN" matches "zh"), else defaultScreenLang.
func screenLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); screenMessages[l] != nil {
		return l
	}
	best, bestQ := defaultScreenLang, 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if screenMessages[base] != nil && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

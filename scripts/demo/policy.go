package main

// demoPolicy is the loyalty policy HQ publishes in the demo: the one of
// configs/policy.yaml with the generated catalog's categories.
const demoPolicy = `version: 1
location: Asia/Shanghai
earn_points: 1
earn_per_fen: 100
rounding: floor
tier_multipliers:
  vip: 200
  gold: 150
category_multipliers:
  fruit: 200
excluded_categories: [tobacco]
excluded_skus: []
promotions: []
return_window_days: 7
pending_days: 7
expiry:
  kind: end_of_next_year
  days: 0
offline_daily_cap: 5000
points_tender_points: 100
points_tender_fen: 100
rewards: []
card_patterns:
  - {name: club, prefix: "8800", length: 13, regexp: "", luhn: true}
weighed_layouts:
  - {prefix: "21", item_digits: 5, value_digits: 5, value: weight_g, price_check_digit: false}
  - {prefix: "22", item_digits: 4, value_digits: 5, value: price_fen, price_check_digit: true}
enroll_qualifying_fen: 10000
enroll_within_minutes: 30
offline_warn_after_hours: 24
`

package bolt

import "encoding/binary"

// Bucket names. meta, journal and sales are the first layout of schema
// version 1; the till's buckets after them are additive (an older file
// simply lacks them), so Open creates whichever are missing instead of
// bumping the schema version.
const (
	bucketMeta    = "meta"
	bucketJournal = "journal" // 8-byte big-endian seq → protobuf syncproto.Event
	bucketSales   = "sales"   // sale id → 8-byte big-endian seq

	bucketCatalog         = "catalog"          // sku → JSON agent.Product
	bucketCatalogBarcodes = "catalog_barcodes" // 14-digit GTIN → sku
	bucketCatalogItems    = "catalog_items"    // 8-byte big-endian item code → sku
	bucketMembers         = "members"          // card → JSON agent.Member
	bucketPolicy          = "policy"           // policyKey → JSON agent.Policy
	bucketBaskets         = "baskets"          // lane → JSON agent.Basket
	bucketPoints          = "points"           // card → bucket: pointsKey → JSON agent.PointsEntry
	bucketReturns         = "returns"          // return id → 8-byte big-endian seq
	bucketReturned        = "returned"         // original sale id → JSON map line no → quantity
	bucketEnrollments     = "enrollments"      // card → 8-byte big-endian seq of its MemberEnrolled event
	bucketEnrollSales     = "enroll_sales"     // qualifying sale id → card it was credited to

	bucketCardBlocks = "card_blocks" // card → JSON cardBlock: blocked chain-wide
)

// tillBuckets returns the additive buckets Open creates when missing.
func tillBuckets() []string {
	return []string{
		bucketCatalog, bucketCatalogBarcodes, bucketCatalogItems, bucketMembers,
		bucketPolicy, bucketBaskets, bucketPoints, bucketReturns, bucketReturned,
		bucketEnrollments, bucketEnrollSales, bucketCardBlocks,
	}
}

// Keys of the meta bucket.
const (
	metaSchemaVersion = "schema_version" // 8-byte big-endian
	metaStoreID       = "store_id"
	metaAgentID       = "agent_id"
	metaWatermark     = "watermark"           // 8-byte big-endian, highest contiguously acked seq
	metaCatalogVer    = "catalog_version"     // 8-byte big-endian; absent = 0, none loaded
	metaMembersVer    = "members_version"     // 8-byte big-endian; absent = 0, none loaded
	metaEnrollBlock   = "enroll_block"        // JSON agent.EnrollBlock; absent = none
	metaCardBlocksVer = "card_blocks_version" // 8-byte big-endian; absent = 0
)

// policyKey is the policy bucket's only key: the store holds one policy.
const policyKey = "current"

// SchemaVersion is the ledger layout this package writes. A file with a
// higher version is refused rather than misread.
const SchemaVersion = 1

// u64 encodes v big-endian so that bbolt's byte order is numeric order.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// parseU64 decodes an 8-byte big-endian value; ok is false for any other length.
func parseU64(b []byte) (v uint64, ok bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

package bolt

import "encoding/binary"

// Bucket names. Only meta, journal and sales exist in schema version 1; the
// reserved names keep the member cache, catalog, policy and card blocks of
// DESIGN §4 from colliding with anything added in the meantime.
const (
	bucketMeta    = "meta"
	bucketJournal = "journal" // 8-byte big-endian seq → protobuf syncproto.Event
	bucketSales   = "sales"   // sale id → 8-byte big-endian seq

	bucketMembers    = "members"     // reserved: member cache
	bucketCatalog    = "catalog"     // reserved: catalog
	bucketPolicy     = "policy"      // reserved: offline policy
	bucketCardBlocks = "card_blocks" // reserved: blocked cards
)

// Keys of the meta bucket.
const (
	metaSchemaVersion = "schema_version" // 8-byte big-endian
	metaStoreID       = "store_id"
	metaAgentID       = "agent_id"
	metaWatermark     = "watermark" // 8-byte big-endian, highest contiguously acked seq
)

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

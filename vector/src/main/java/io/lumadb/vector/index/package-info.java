/**
 * One shard's search index on Lucene: {@link io.lumadb.vector.index.ShardSearchIndex} keeps one
 * vector (HNSW, kNN) or full-text (BM25) index definition in its own Lucene directory, fed with
 * the shard's document changes in sequence order, and answers kNN and text searches. Everything
 * that touches Lucene in LumaDB lives in this module.
 */
package io.lumadb.vector.index;

-- The tables of the shared cluster journal (pekko-persistence-jdbc 1.1 layout: event_journal,
-- event_tag, snapshot). Created by the first node that starts, under an advisory lock, and safe
-- to run again. The primary key (persistence_id, sequence_number) is LumaDB's fence: of two
-- writers of one shard, only one can append a given sequence number.
CREATE TABLE IF NOT EXISTS event_journal(
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal(ordering);
CREATE TABLE IF NOT EXISTS event_tag(
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY(event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY(event_id) REFERENCES event_journal(ordering) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS snapshot(
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);

-- The cluster's formation lease (FormationLease): the leader of the running cluster renews it
-- every few seconds, and a node may form a new cluster only while it is stale, so a restarted
-- first seed joins the running cluster instead of forming a second one beside it.
CREATE TABLE IF NOT EXISTS lumadb_cluster_lease(
  id SMALLINT PRIMARY KEY,
  holder VARCHAR(255) NOT NULL,
  renewed_at TIMESTAMPTZ NOT NULL
);
INSERT INTO lumadb_cluster_lease(id, holder, renewed_at) VALUES (1, '', 'epoch') ON CONFLICT (id) DO NOTHING;
-- How many members the holder's cluster had at its last renewal: a holder that led others may
-- not take the lease back at its restart (the others may run on under a new leader), nor give it
-- up when it leaves them.
ALTER TABLE lumadb_cluster_lease ADD COLUMN IF NOT EXISTS members INTEGER NOT NULL DEFAULT 1;

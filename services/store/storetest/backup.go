package storetest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// PGDump returns a plain-format pg_dump of the database at url, the backup an operator
// takes, for specs that look into one. It runs the pg_dump of the cluster's binaries.
func PGDump(ctx context.Context, url string) ([]byte, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--format=plain", "--no-owner", "--dbname="+url).Output()
	if err != nil {
		return nil, fmt.Errorf("pg_dump: %w", err)
	}
	return out, nil
}

// ClusterDir is the directory of the suite's PostgreSQL cluster: its data files, its
// write-ahead log and its socket. Empty before the cluster started.
func (d *Databases) ClusterDir() string {
	if d.cluster == nil {
		return ""
	}
	return d.cluster.dir
}

package core

import "context"

// retryableKey marks a context passed to Store.InTx; see Retryable.
type retryableKey struct{}

// Retryable marks ctx for Store.InTx: fn acts only through its Tx and sets
// only variables it sets again on every run, so the store may run it again
// after an attempt that it rolled back. A store uses that to judge from data
// it keeps in memory and check at commit that the data was still current:
// when it was not, nothing of the attempt is written and fn runs again on
// data read inside the transaction. Each run is one transaction; writes
// still commit once or not at all.
func Retryable(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryableKey{}, true)
}

// IsRetryable reports whether ctx was marked by Retryable.
func IsRetryable(ctx context.Context) bool {
	v, _ := ctx.Value(retryableKey{}).(bool)
	return v
}

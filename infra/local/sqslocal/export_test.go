package sqslocal

// Waiting reports whether a long poll is parked on the named queue, so a
// test can send only once the poll is really waiting and prove it wakes.
func (s *Server) Waiting(name string) bool {
	q := s.lookup(name)
	if q == nil {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.wake != nil
}

// MD5OfAttributes exposes the attribute digest to the tests.
func MD5OfAttributes(attrs map[string]AttrValue) string { return md5OfAttributes(attrs) }

// AttrValue exposes the wire form of a message attribute to the tests.
type AttrValue = attrValue

package aftersales

// What happens to the virtual components of a bundle (F20: a phone sold
// with its screen insurance) when one application returns the bundle.
const (
	// VirtualRefundAtOnce splits the application: the virtual components
	// become a refund-only case of their own, decided (and, unused,
	// refunded) at once, while the physical ones wait for their return.
	// The default.
	VirtualRefundAtOnce = "refund_at_once"
	// VirtualWithTheReturn keeps the bundle in one case: the insurance is
	// refunded when the phone is received.
	VirtualWithTheReturn = "with_the_return"
)

// BundleSettings are the merchant's settings for bundles (F20).
type BundleSettings struct {
	VirtualComponents string // VirtualRefundAtOnce (default, also when empty) or VirtualWithTheReturn
}

// DefaultBundleSettings: virtual components are refunded at once.
func DefaultBundleSettings() BundleSettings {
	return BundleSettings{VirtualComponents: VirtualRefundAtOnce}
}

// SplitsVirtual reports whether an application's virtual bundle
// components become a case of their own.
func (s BundleSettings) SplitsVirtual() bool { return s.VirtualComponents != VirtualWithTheReturn }

func (s BundleSettings) validate(v *Validation) {
	v.Check(s.VirtualComponents == "" || s.VirtualComponents == VirtualRefundAtOnce || s.VirtualComponents == VirtualWithTheReturn,
		"bundles.virtual_components", "must be refund_at_once or with_the_return")
}

// VirtualComponentReason is the reason of the refund-only case a bundle's
// virtual components are split into.
const VirtualComponentReason = "virtual_unused"

// SplitBundle divides the lines of an application of type t on order o
// into those that stay in the application's case and the virtual
// components refunded at once in a case of their own: virtual lines of a
// bundle of which the application also returns a physical line. Nothing is
// split unless the application is a return and refund (a refund-only
// refunds it all at once anyway; an exchange keeps the insurance for the
// replacement) and the rule set splits.
func SplitBundle(t CaseType, lines []CaseLine, o *Order, s BundleSettings) (stay, virtual []CaseLine) {
	if t != ReturnRefund || !s.SplitsVirtual() || o == nil {
		return lines, nil
	}
	physical := map[string]bool{} // bundles with a physical line in the application
	for _, l := range lines {
		if ol, ok := o.Line(l.LineID); ok && ol.Bundle != "" && l.Kind != KindVirtual {
			physical[ol.Bundle] = true
		}
	}
	for _, l := range lines {
		if ol, ok := o.Line(l.LineID); ok && l.Kind == KindVirtual && physical[ol.Bundle] {
			virtual = append(virtual, l)
		} else {
			stay = append(stay, l)
		}
	}
	return stay, virtual
}

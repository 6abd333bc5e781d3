// Package greeting holds the text the service answers with.
package greeting

// Text is the greeting.
const Text = "hello from go"

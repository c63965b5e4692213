//! The sans-I/O codec: command encoding, framing, final result codes and URC parsing.

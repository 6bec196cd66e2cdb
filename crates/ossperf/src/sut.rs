//! The gpt-oss SUT: joins LoadGen's issue calls to the inference client. (Being built.)

/**
 * A self-signed certificate for 127.0.0.1 and localhost (P-256, valid until 2126) and its key,
 * for tests that serve HTTPS locally and trust exactly this certificate. Test-only: it guards
 * nothing. Made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
 * -nodes -days 36500 -subj "/CN=llmq test server"
 * -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"`.
 */
export const localTlsCertificate = `-----BEGIN CERTIFICATE-----
MIIBqTCCAU+gAwIBAgIUMjB98ERVuVqcT8EdQKyA7K1Sx08wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbGxtcSB0ZXN0IHNlcnZlcjAgFw0yNjEyMDcwMzM4MTlaGA8y
MTI2MTExMzAzMzgxOVowGzEZMBcGA1UEAwwQbGxtcSB0ZXN0IHNlcnZlcjBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABPo1iM8sBi4Q5rLJftn/lrN6y8EbYl9/AFtW
iPMR4O1Orx1KbqK72o1/cVs1+YXJ8qck+0Mgxnr1A1hPNwh/xICjbzBtMB0GA1Ud
DgQWBBRjkklrUwnyoYilXD2yCToKuHR3qjAfBgNVHSMEGDAWgBRjkklrUwnyoYil
XD2yCToKuHR3qjAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxv
Y2FsaG9zdDAKBggqhkjOPQQDAgNIADBFAiB+gCCxoHfBL2nV0cKWw27YE11wbBlZ
yyg2wCPxOBEDSwIhANTpPV5xPB01LPA+RhRr+JmNVwLajrUkHvZxxsPYU4nr
-----END CERTIFICATE-----
`;

export const localTlsKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJn+J7gKtmpwXCDVv
H1fDYG9K4c6gFP9QfTRxfQnGVeehRANCAAT6NYjPLAYuEOayyX7Z/5azesvBG2Jf
fwBbVojzEeDtTq8dSm6iu9qNf3FbNfmFyfKnJPtDIMZ69QNYTzcIf8SA
-----END PRIVATE KEY-----
`;

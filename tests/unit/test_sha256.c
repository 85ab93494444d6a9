/* SHA-256 against the FIPS 180-2 examples and NIST's long-message vector,
 * fed whole and in awkward pieces. */
#include <string.h>
#include "sha256.h"
#include "check.h"

static void hex_of(const void *data, size_t len, size_t piece, char out[65])
{
    struct sha256 s;
    uint8_t d[SHA256_DIGEST];
    sha256_init(&s);
    const unsigned char *p = data;
    while (len) {
        size_t n = piece && piece < len ? piece : len;
        sha256_update(&s, p, n);
        p += n;
        len -= n;
    }
    sha256_final(&s, d);
    sha256_hex(d, out);
}

int main(void)
{
    static const struct {
        const char *msg;
        const char *hex;
    } kat[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    char out[65];
    for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        for (size_t piece = 0; piece < 70; piece += 7) {
            hex_of(kat[i].msg, strlen(kat[i].msg), piece, out);
            CHECK(strcmp(out, kat[i].hex) == 0);
        }
    }
    static char million[1000000];
    memset(million, 'a', sizeof(million));
    hex_of(million, sizeof(million), 0, out);
    CHECK(strcmp(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    hex_of(million, sizeof(million), 4093, out);
    CHECK(strcmp(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    /* Lengths around the padding boundary (55, 56, 63, 64 bytes). */
    hex_of(million, 55, 0, out);
    CHECK(strcmp(out, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318") == 0);
    hex_of(million, 56, 0, out);
    CHECK(strcmp(out, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a") == 0);
    hex_of(million, 64, 1, out);
    CHECK(strcmp(out, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb") == 0);
    return check_report("test_sha256");
}
